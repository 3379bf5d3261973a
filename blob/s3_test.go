package blob_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"strongroom/blob"
	"strongroom/blob/blobtest"
)

func TestS3Contract(t *testing.T) {
	srv := blobtest.StartS3(t)
	var n atomic.Int64
	blobtest.RunContract(t, func(t *testing.T) blob.Store {
		// A bucket of its own for every check, on one server.
		bucket := fmt.Sprintf("contract-%d", n.Add(1))
		if err := srv.CreateBucket(context.Background(), bucket); err != nil {
			t.Fatal(err)
		}
		s, err := blob.Open(context.Background(), srv.URL(bucket))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if n, err := srv.PendingUploads(context.Background(), bucket); err != nil || n != 0 {
				t.Errorf("%d multipart uploads left pending (%v)", n, err)
			}
		})
		return s
	})
}
