package targets

import "github.com/gameday-dev/gameday/internal/yamldoc"

// Pos, Problem and Problems are the loader's: a position in a file, one
// problem as "file:line:col: field: message", and every problem of a file.
type (
	Pos      = yamldoc.Pos
	Problem  = yamldoc.Problem
	Problems = yamldoc.Problems
)

var inventoryFormat = yamldoc.Format{Name: "inventory", Needs: "hosts or services"}

// Load reads, decodes and validates the inventory at path. A bad file
// yields a Problems error naming every problem as "path:line:col: field:
// message"; a file that cannot be read yields the OS error with context.
func Load(path string) (*Inventory, error) {
	return yamldoc.Read(path, inventoryFormat, decode)
}

// Parse decodes and validates an inventory held in memory; name is the file
// name used in problem messages. On failure the error is a Problems holding
// every problem found, sorted by position.
func Parse(name string, data []byte) (*Inventory, error) {
	return decode(yamldoc.Parse(name, data, inventoryFormat))
}

func decode(doc *yamldoc.Doc) (*Inventory, error) {
	inv := &Inventory{Path: doc.File}
	if doc.Root != nil {
		doc.Hooks = map[string]yamldoc.Hook{"rate": decodeRate}
		doc.Decode(doc.Root, inv, "")
		validate(inv, doc)
	}
	if err := doc.Err(); err != nil {
		return nil, err
	}
	return inv, nil
}
