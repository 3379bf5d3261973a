package main

// The KMS keepers a master key can come from. They are imported here, and
// only here, so that no test binary pays for compiling the cloud SDKs.
import (
	_ "gocloud.dev/secrets/awskms"
	_ "gocloud.dev/secrets/azurekeyvault"
	_ "gocloud.dev/secrets/gcpkms"
	_ "gocloud.dev/secrets/hashivault"
)
