package storetest

import (
	"testing"

	"strongroom/store"
)

func TestEngines(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, e store.Engine) { RunSuite(t, e) })
}
