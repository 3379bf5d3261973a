package main

// The object stores a backup target can be (see strongroom/blob). They are
// imported here, and only here, so that no test binary pays for compiling
// the cloud SDKs; s3store and azstore let an s3:// or azblob:// target
// carry credentials of its own.
import (
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"

	_ "strongroom/blob/azstore"
	_ "strongroom/blob/s3store"
)
