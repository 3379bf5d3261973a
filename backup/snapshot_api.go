package backup

// The snapshot functions backups use, in one place: with package snapshot
// and cases.RebuildIndex in the tree these become
//
//	type Summary = snapshot.Summary
//	var snapshotExport = snapshot.Export … rebuildIndex = cases.RebuildIndex
//	const snapshotFormat = snapshot.Format
type Summary = standinSummary

var (
	snapshotExport     = standinExport
	snapshotImport     = standinImport
	snapshotExportKeys = standinExportKeys
	snapshotImportKeys = standinImportKeys
	rebuildIndex       = standinRebuildIndex
)

const snapshotFormat = standinFormat
