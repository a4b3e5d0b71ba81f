package yamldoc

import (
	"fmt"
	"math"
)

// Kind says what a node holds, as YAML's core schema reads it.
type Kind int

// The kinds of node.
const (
	Null Kind = iota // an empty value, "~" or "null"
	String
	Int
	Float
	Bool
	Mapping
	Sequence
)

// Node is one value of a document, with where it was written. Aliases are
// already resolved (an alias is the very node its anchor names, so a tree
// may share subtrees) and merge keys already expanded.
type Node struct {
	Kind Kind
	Pos  Pos
	// Text is a scalar as written, without quotes ("3.6" stays "3.6");
	// empty for null and for collections.
	Text string
	// Tagged is set when an explicit !!str tag made the scalar a string.
	Tagged bool
	// Entries are a mapping's keys and values in file order, keys brought
	// in by merge keys ("<<: *defaults") first, each key once.
	Entries []Entry
	// Items are a sequence's values.
	Items []*Node

	value any // int64 or uint64 (Int), float64 (Float), bool (Bool)
	// size counts the values this node expands to, itself included, and
	// height the collections nested in it, itself included: the limits on
	// aliases and depth are checked on these.
	size, height int
}

// Entry is one key of a mapping and its value.
type Entry struct {
	Key    string
	KeyPos Pos
	Value  *Node
}

// IsScalar reports whether the node is a single value (null included).
func (n *Node) IsScalar() bool { return n.Kind < Mapping }

// Int returns an integer scalar's value; ok is false for anything else
// and for integers beyond int64.
func (n *Node) Int() (v int64, ok bool) {
	switch x := n.value.(type) {
	case int64:
		return x, n.Kind == Int
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), n.Kind == Int
		}
	}
	return 0, false
}

// Number returns a numeric scalar's value (an integer or a float).
func (n *Node) Number() (float64, bool) {
	switch x := n.value.(type) {
	case int64:
		return float64(x), n.Kind == Int
	case uint64:
		return float64(x), n.Kind == Int
	case float64:
		return x, n.Kind == Float
	}
	return 0, false
}

// Bool returns a boolean scalar's value.
func (n *Node) Bool() (v, ok bool) {
	v, ok = n.value.(bool)
	return v, ok && n.Kind == Bool
}

// Lookup returns the value of a mapping's key, or nil.
func (n *Node) Lookup(key string) *Node {
	for _, e := range n.Entries {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// Describe names what the node is, for "want X, got Y" messages. A secret
// never has its value echoed.
func (n *Node) Describe(secret bool) string {
	switch n.Kind {
	case Mapping:
		return "a mapping"
	case Sequence:
		return "a list"
	case Null:
		return "nothing"
	case Bool:
		if secret {
			return "a boolean"
		}
		return "boolean " + n.Text
	case Int, Float:
		if secret {
			return "a number"
		}
		return "number " + n.Text
	}
	if secret {
		return "a string"
	}
	s := n.Text
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("string %q", s)
}
