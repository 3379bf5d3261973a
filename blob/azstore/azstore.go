// Package azstore lets an azblob:// target carry credentials of its own.
// gocloud's azureblob takes them only from the environment
// (AZURE_STORAGE_KEY, a SAS token, a connection string) or from Azure's
// default credential chain, the same for every container in the process;
// importing this package makes blob.Open accept, besides everything
// azureblob reads (storage_account, domain, protocol, cdn, localemu):
//
//	azblob://CONTAINER?storage_account=ACCOUNT&account_key=KEY
//	azblob://CONTAINER?storage_account=ACCOUNT&sas_token=TOKEN
//
// Without either, the URL means exactly what it means to azureblob.
// blob.Redact hides the key and the token.
package azstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"

	"strongroom"
	"strongroom/blob"
)

func init() {
	blob.RegisterScheme(azureblob.Scheme, Open)
	blob.RegisterDiagnoser(diagnose)
}

// diagnose recognises Azure's refusals, which gocloud leaves Unknown.
func diagnose(err error) (code, what string, ok bool) {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return "", "", false
	}
	switch {
	case re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden:
		return strongroom.EINVALID, fmt.Sprintf("it refused the credentials or what they may do (%s)", re.ErrorCode), true
	case re.ErrorCode == "ContainerNotFound":
		return strongroom.EINVALID, "it has no such container", true
	}
	return "", "", false
}

// Open opens the container an azblob:// URL names.
func Open(ctx context.Context, u *url.URL) (*gcblob.Bucket, error) {
	q := u.Query()
	key, sas := q.Get("account_key"), q.Get("sas_token")
	q.Del("account_key")
	q.Del("sas_token")
	rest := *u
	rest.RawQuery = q.Encode()
	switch {
	case key != "" && sas != "":
		return nil, strongroom.FieldError("url", "An azblob:// URL takes account_key or sas_token, not both.")
	case key == "" && sas == "":
		return gcblob.DefaultURLMux().OpenBucketURL(ctx, &rest)
	case q.Get("storage_account") == "":
		return nil, strongroom.FieldError("url", "An azblob:// URL with account_key or sas_token needs storage_account=….")
	}
	opener := &azureblob.URLOpener{
		ServiceURLOptions: azureblob.ServiceURLOptions{SASToken: sas},
		MakeClient: func(svc azureblob.ServiceURL, name azureblob.ContainerName) (*container.Client, error) {
			containerURL, err := url.JoinPath(string(svc), string(name))
			if err != nil {
				return nil, err
			}
			if sas != "" {
				return container.NewClientWithNoCredential(containerURL, nil)
			}
			cred, err := azblob.NewSharedKeyCredential(q.Get("storage_account"), key)
			if err != nil {
				// The key is not valid base64; the SDK's words would quote it.
				return nil, strongroom.FieldError("url", "The azblob:// URL's account_key is not a storage account key (base64).")
			}
			return container.NewClientWithSharedKeyCredential(containerURL, cred, nil)
		},
	}
	return opener.OpenBucketURL(ctx, &rest)
}
