package azstore_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"strongroom"
	"strongroom/blob"
	_ "strongroom/blob/azstore"
	"strongroom/blob/blobtest"
)

// azurite is a running Azurite blob service on loopback with an account of
// the test's own.
type azurite struct {
	host, account, key string
}

func (a *azurite) url(containerName string) string {
	q := url.Values{"storage_account": {a.account}, "domain": {a.host}, "protocol": {"http"}, "account_key": {a.key}}
	return "azblob://" + containerName + "?" + q.Encode()
}

func (a *azurite) create(ctx context.Context, name string) error {
	cred, err := azblob.NewSharedKeyCredential(a.account, a.key)
	if err != nil {
		return err
	}
	c, err := container.NewClientWithSharedKeyCredential("http://"+a.host+"/"+a.account+"/"+name, cred, nil)
	if err != nil {
		return err
	}
	_, err = c.Create(ctx, nil)
	return err
}

// startAzurite starts azurite-blob ($STRONGROOM_AZURITE or on PATH; npm
// install -g azurite) or skips the test without it.
func startAzurite(t *testing.T) *azurite {
	bin := os.Getenv("STRONGROOM_AZURITE")
	if bin == "" {
		bin, _ = exec.LookPath("azurite-blob")
	}
	if bin == "" {
		t.Skip("no azurite-blob (npm install -g azurite, or set STRONGROOM_AZURITE): Azure tests not run")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(host)
	key := make([]byte, 32)
	rand.Read(key)
	a := &azurite{host: host, account: "strongroomtest", key: base64.StdEncoding.EncodeToString(key)}
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", port, "--location", t.TempDir(),
		"--silent", "--disableTelemetry", "--skipApiVersionCheck")
	cmd.Env = append(os.Environ(), "AZURITE_ACCOUNTS="+a.account+":"+a.key)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		err := a.create(ctx, "probe")
		if err == nil {
			return a
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) || ctx.Err() != nil {
			t.Fatalf("azurite did not start: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAzureContract(t *testing.T) {
	a := startAzurite(t)
	var n atomic.Int64
	blobtest.RunContract(t, func(t *testing.T) blob.Store {
		name := fmt.Sprintf("contract-%d", n.Add(1))
		if err := a.create(context.Background(), name); err != nil {
			t.Fatal(err)
		}
		s, err := blob.Open(context.Background(), a.url(name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(s.Name(), a.key) || strings.Contains(s.Name(), url.QueryEscape(a.key)) {
			t.Errorf("Name %s shows the account key", s.Name())
		}
		return s
	})
}

// A target can carry a SAS token instead of the account key.
func TestAzureContractWithSASToken(t *testing.T) {
	a := startAzurite(t)
	cred, err := azblob.NewSharedKeyCredential(a.account, a.key)
	if err != nil {
		t.Fatal(err)
	}
	perms := sas.AccountPermissions{Read: true, Write: true, Delete: true, List: true, Add: true, Create: true}
	types := sas.AccountResourceTypes{Container: true, Object: true}
	qp, err := sas.AccountSignatureValues{
		Protocol: sas.ProtocolHTTPSandHTTP, ExpiryTime: time.Now().Add(time.Hour),
		Permissions: perms.String(), ResourceTypes: types.String(),
	}.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	token := qp.Encode()
	var n atomic.Int64
	blobtest.RunContract(t, func(t *testing.T) blob.Store {
		name := fmt.Sprintf("sas-%d", n.Add(1))
		if err := a.create(context.Background(), name); err != nil {
			t.Fatal(err)
		}
		q := url.Values{"storage_account": {a.account}, "domain": {a.host}, "protocol": {"http"}, "sas_token": {token}}
		s, err := blob.Open(context.Background(), "azblob://"+name+"?"+q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(s.Name(), "sig=") || strings.Contains(s.Name(), "sig%3D") {
			t.Errorf("Name %s shows the token's signature", s.Name())
		}
		return s
	})
}

func TestAzureOpenErrors(t *testing.T) {
	a := startAzurite(t)
	wrong := base64.StdEncoding.EncodeToString([]byte("not the key of this account at all"))
	cases := []struct{ url, code, want string }{
		{strings.Replace(a.url("probe"), url.QueryEscape(a.key), url.QueryEscape(wrong), 1), strongroom.EINVALID, "refused the credentials"},
		{a.url("no-such-container"), strongroom.EINVALID, "no such"},
		{strings.Replace(a.url("probe"), url.QueryEscape(a.key), "not-base64!", 1), strongroom.EINVALID, "is not a storage account key"},
		{a.url("probe") + "&sas_token=sv%3D1", strongroom.EINVALID, "account_key or sas_token, not both"},
		{"azblob://probe?account_key=" + url.QueryEscape(a.key), strongroom.EINVALID, "needs storage_account"},
		{"azblob://probe?" + url.Values{"storage_account": {a.account}, "domain": {a.host}, "protocol": {"http"},
			"sas_token": {"sv=2021-08-06&srt=co&sp=rl&se=2099-01-01T00%3A00%3A00Z&spr=https%2Chttp&sig=Zm9yZ2VkIHNpZ25hdHVyZQ%3D%3D"}}.Encode(),
			strongroom.EINVALID, "refused the credentials"},
	}
	for _, c := range cases {
		s, err := blob.Open(context.Background(), c.url)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded", c.url)
			continue
		}
		if strongroom.ErrorCode(err) != c.code || !strings.Contains(strongroom.ErrorMessage(err), c.want) {
			t.Errorf("Open: %v\nwant %s saying %q", err, c.code, c.want)
		}
		for _, secret := range []string{a.key, url.QueryEscape(a.key), wrong} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows a key: %v", err)
			}
		}
	}
}
