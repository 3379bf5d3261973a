package search

// SetMaxCount lowers how many hits a search counts (and ranks at a time,
// on SQLite), until the returned function restores it.
func SetMaxCount(n int) (restore func()) {
	old := maxCount
	maxCount = n
	return func() { maxCount = old }
}
