package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
	_ "gocloud.dev/blob/azureblob" // backup targets: azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/s3blob"    // s3://

	"strongroom"
	"strongroom/backup"
	"strongroom/blob"
)

// BackupConfig says where backups go and to whom they are encrypted.
type BackupConfig struct {
	Targets        targetList
	Recipients     targetList
	RecipientsFile string
}

// targetList is a flag that may be given several times; its variable holds
// the values separated by spaces or new lines.
type targetList []string

func (l *targetList) String() string     { return strings.Join(*l, " ") }
func (l *targetList) Set(v string) error { *l = append(*l, v); return nil }

func targetListVar(fs *flag.FlagSet, p *targetList, name, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		*p = strings.Fields(v)
	}
	fs.Var(p, name, usage+" ($"+envName(name)+", separated by spaces)")
}

func (c *BackupConfig) register(fs *flag.FlagSet) {
	targetListVar(fs, &c.Targets, "backup-target",
		fmt.Sprintf("where backups go, repeatable, up to %d: file:///srv/backups, s3://bucket?region=…&endpoint=…, gs://bucket, azblob://container", backup.MaxTargets))
	targetListVar(fs, &c.Recipients, "backup-recipient",
		"age recipient (age1…) backups are encrypted to, repeatable: the online backup key and an offline escrow key")
	stringFlag(fs, &c.RecipientsFile, "backup-recipients-file", "",
		"file of age recipients, one a line, instead of or beside --backup-recipient")
}

// recipients returns every recipient the flags name.
func (c BackupConfig) recipients() ([]age.Recipient, error) {
	text := strings.Join(c.Recipients, "\n")
	if c.RecipientsFile != "" {
		b, err := os.ReadFile(c.RecipientsFile)
		if err != nil {
			return nil, strongroom.FieldError("backup-recipients-file", "Cannot read %s.", c.RecipientsFile)
		}
		text += "\n" + string(b)
	}
	rs, err := backup.ParseRecipients(text)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, strongroom.FieldError("backup-recipient", "Name at least one age recipient to encrypt backups to (--backup-recipient or --backup-recipients-file).")
	}
	return rs, nil
}

// openTargets opens the targets named, closing them all on a failure.
// oneOrAll is the one target a --target flag names, or else every
// configured one.
func oneOrAll(all targetList, one string) []string {
	if one != "" {
		return []string{one}
	}
	return []string(all)
}

func openTargets(ctx context.Context, urls []string) ([]blob.Store, func(), error) {
	if len(urls) == 0 {
		return nil, nil, strongroom.FieldError("backup-target", "Name at least one backup target (--backup-target URL).")
	}
	if len(urls) > backup.MaxTargets {
		return nil, nil, strongroom.FieldError("backup-target", "At most %d backup targets can be named.", backup.MaxTargets)
	}
	var out []blob.Store
	closeAll := func() {
		for _, t := range out {
			t.Close()
		}
	}
	for _, u := range urls {
		t, err := blob.Open(ctx, u)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		out = append(out, t)
	}
	return out, closeAll, nil
}
