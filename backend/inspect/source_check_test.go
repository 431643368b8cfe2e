package inspect_test

import (
	"castscope/backend/inspect"
	"castscope/backend/sqlite"
)

var _ inspect.Source = (*sqlite.Store)(nil)
