package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/identity"
)

// StorageConfig says where Strongroom keeps its data and its master key.
type StorageConfig struct {
	DataDir       string
	Database      string // postgres://… or empty for SQLite under DataDir
	MasterKey     string // a KMS URL (awskms://, gcpkms://, azurekeyvault://, hashivault://)
	MasterKeyFile string // used when MasterKey is empty
	// CheckpointDir receives every tenant's signed audit checkpoints,
	// outside the tenant databases; default DATA/checkpoints.
	CheckpointDir string
	// FilesDir holds the tenants' document files, encrypted; default
	// DATA/files.
	FilesDir string
	// DBTimeout bounds each database operation of a request (a statement,
	// or a transaction including the wait for a connection).
	DBTimeout time.Duration
	// TenantPageCache is the page cache, in MiB, of all open SQLite tenant
	// databases together, shared out evenly: MaxOpenTenants databases of
	// sqlite.ConnsPerTenant connections. TenantMmap is the size, in MiB,
	// of the memory map of each (see sqlite.Tuning).
	TenantPageCache int
	TenantMmap      int
	// MaxOpenTenants is how many tenant databases may be open at once.
	MaxOpenTenants int
}

// checkpoints returns where audit checkpoints are written.
func (c StorageConfig) checkpoints() string {
	if c.CheckpointDir != "" {
		return c.CheckpointDir
	}
	return filepath.Join(c.DataDir, "checkpoints")
}

// files returns where document files are kept.
func (c StorageConfig) files() string {
	if c.FilesDir != "" {
		return c.FilesDir
	}
	return filepath.Join(c.DataDir, "files")
}

// keyURL returns the keeper URL the configuration names.
func (c StorageConfig) keyURL() string {
	if c.MasterKey != "" {
		return c.MasterKey
	}
	return c.MasterKeyFile
}

// newFlagSet returns a flag set whose usage lists each flag's variable.
func newFlagSet(name string, stderr io.Writer, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\n\nFlags:\n", about)
		fs.PrintDefaults()
	}
	return fs
}

// envName is the variable that sets a flag: data-dir → STRONGROOM_DATA_DIR.
func envName(flagName string) string {
	return "STRONGROOM_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func stringFlag(fs *flag.FlagSet, p *string, name, def, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	fs.StringVar(p, name, def, usage+" ($"+envName(name)+")")
}

func boolFlag(fs *flag.FlagSet, p *bool, name string, usage string) {
	def, _ := strconv.ParseBool(os.Getenv(envName(name)))
	fs.BoolVar(p, name, def, usage+" ($"+envName(name)+")")
}

func intFlag(fs *flag.FlagSet, p *int, name string, def int, usage string) {
	if v, err := strconv.Atoi(os.Getenv(envName(name))); err == nil {
		def = v
	}
	fs.IntVar(p, name, def, usage+" ($"+envName(name)+")")
}

func durationFlag(fs *flag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	if v, err := time.ParseDuration(os.Getenv(envName(name))); err == nil {
		def = v
	}
	fs.DurationVar(p, name, def, usage+" ($"+envName(name)+")")
}

func (c *StorageConfig) register(fs *flag.FlagSet) {
	stringFlag(fs, &c.DataDir, "data-dir", "strongroom-data",
		"directory for the SQLite databases, the self-signed certificate and checkpoints")
	stringFlag(fs, &c.Database, "database", "",
		"PostgreSQL URL (postgres://user:pass@host:5432/strongroom) for the control plane; tenants get databases beside it. Empty: SQLite in the data directory")
	stringFlag(fs, &c.MasterKeyFile, "master-key-file", "",
		"file holding the master key, created 0600 on first start; keep it OUT of the data directory's backups (default: "+keyFileName+" in the strongroom directory of the user's configuration directory, e.g. ~/.config/strongroom/)")
	stringFlag(fs, &c.CheckpointDir, "checkpoint-dir", "",
		"where signed audit checkpoints are also written, outside the databases (default DATA-DIR/checkpoints; with PostgreSQL choose shared storage)")
	stringFlag(fs, &c.FilesDir, "files-dir", "",
		"where document files are kept, encrypted, one directory per tenant (default DATA-DIR/files; with PostgreSQL and several nodes choose shared storage)")
	durationFlag(fs, &c.DBTimeout, "db-timeout", 10*time.Second,
		"longest a request waits for one database operation (a transaction, from the wait for a connection to its commit); past it the answer is 503 and the transaction is rolled back")
	stringFlag(fs, &c.MasterKey, "master-key", "",
		"KMS key URL instead of a key file: awskms://…, gcpkms://…, azurekeyvault://…, hashivault://…")
	intFlag(fs, &c.TenantPageCache, "tenant-page-cache", defaultTenantPageCache,
		"MiB of SQLite page cache for all open tenant databases together, shared out evenly over --max-open-tenants' connections (0: SQLite's default of 2 MiB each)")
	intFlag(fs, &c.TenantMmap, "tenant-mmap", 0,
		"MiB of each SQLite tenant database read through a memory map (the kernel's file cache, not this process's heap); 0: none, the default, as every write makes readers rebuild their map")
	intFlag(fs, &c.MaxOpenTenants, "max-open-tenants", defaultMaxOpenTenants,
		"tenant databases open at once (0: the default); the least recently used idle one is closed to open another")
}

// parse parses args and refuses stray positional arguments beyond want.
func parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	if err := fs.Parse(reorder(fs, args)); err != nil {
		return nil, err
	}
	if fs.NArg() != want {
		fs.Usage()
		return nil, errUsage
	}
	return fs.Args(), nil
}

// reorder moves positional arguments after the flags, so that both
// "tenant create acme --name X" and "tenant create --name X acme" work.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return append(flags, positional...)
}

// SignInConfig is the tenant-wide budget of failed sign-ins: attempts from
// browsers without a device cookie take from it before any password is
// hashed, and once it is spent they are refused until it refills. Zero
// values keep the defaults of package identity.
type SignInConfig struct {
	BudgetBurst  int
	BudgetRefill time.Duration
}

func (c *SignInConfig) register(fs *flag.FlagSet) {
	intFlag(fs, &c.BudgetBurst, "login-budget-burst", identity.DefaultBudgetBurst,
		"failed sign-ins a tenant may have at once from browsers that have not signed in before; then they are refused before any password is hashed")
	durationFlag(fs, &c.BudgetRefill, "login-budget-refill", identity.DefaultBudgetRefill,
		"a tenant regains one failed sign-in this often (keep it well below the server's hashing rate, about 38 a second per core)")
}

// check refuses settings that make no sense.
func (c SignInConfig) check() error {
	if c.BudgetBurst < 0 {
		return strongroom.FieldError("login-budget-burst", "The number of failed sign-ins must not be negative.")
	}
	if c.BudgetRefill < 0 {
		return strongroom.FieldError("login-budget-refill", "The refill period must not be negative.")
	}
	return nil
}

// apply sets the budget of svc.
func (c SignInConfig) apply(svc *identity.Service) {
	if c.BudgetBurst > 0 {
		svc.Budget.Burst = float64(c.BudgetBurst)
	}
	if c.BudgetRefill > 0 {
		svc.Budget.Refill = c.BudgetRefill
	}
}
