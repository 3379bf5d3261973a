package blobtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestS3WithoutVersitygw runs the lookup in a child test process with no
// versitygw anywhere, and checks that it skips — or fails when S3 is
// required — saying what to do.
func TestS3WithoutVersitygw(t *testing.T) {
	if os.Getenv("BLOBTEST_CHILD") == "1" {
		knownPlaces = nil
		S3(t)
		return
	}
	for _, require := range []string{"", "1"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestS3WithoutVersitygw$", "-test.v")
		cmd.Env = append(os.Environ(), "BLOBTEST_CHILD=1", "PATH=", "STRONGROOM_VERSITYGW=", "STRONGROOM_REQUIRE_S3="+require)
		out, err := cmd.CombinedOutput()
		text := string(out)
		if !strings.Contains(text, "no versitygw binary (set STRONGROOM_VERSITYGW") {
			t.Errorf("REQUIRE_S3=%q: the output does not say what is missing:\n%s", require, text)
		}
		skipped := strings.Contains(text, "--- SKIP")
		if require == "" && (err != nil || !skipped) {
			t.Errorf("without STRONGROOM_REQUIRE_S3 the test should skip: %v\n%s", err, text)
		}
		if require == "1" && (err == nil || skipped) {
			t.Errorf("with STRONGROOM_REQUIRE_S3=1 the test should fail: %v\n%s", err, text)
		}
	}
}
