package backup

import (
	"context"

	"strongroom/cases"
	"strongroom/snapshot"
	"strongroom/store"
)

// The snapshot functions backups use, in one place, so that tests can
// wrap them (a fault midway through an export, say).
type Summary = snapshot.Summary

var (
	snapshotExport     = snapshot.Export
	snapshotImport     = snapshot.Import
	snapshotExportKeys = snapshot.ExportKeys
	snapshotImportKeys = snapshot.ImportKeys
	rebuildIndex       = func(ctx context.Context, db *store.DB) error {
		_, err := cases.RebuildIndex(ctx, db)
		return err
	}
)

const snapshotFormat = snapshot.Format
