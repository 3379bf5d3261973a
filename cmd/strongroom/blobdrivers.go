package main

// The object stores a backup target can be (see strongroom/blob). They are
// imported here, and only here, so that no test binary pays for compiling
// the cloud SDKs; s3store lets an s3:// target carry its own credentials.
import (
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"

	_ "strongroom/blob/s3store"
)
