package search

// ForcePlan makes restricted searches on SQLite start from the class slice
// (true) or from the text matches (false), whatever the sizes, until the
// returned function restores the choice.
func ForcePlan(slice bool) (restore func()) {
	old := preferSlice
	preferSlice = func(int, int) bool { return slice }
	return func() { preferSlice = old }
}
