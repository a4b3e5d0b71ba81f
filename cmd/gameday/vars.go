package main

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// VarOptions are the --var and --var-file flags of every command that
// loads a runbook (run, the TUI's --runbook, serve) or a drill.
type VarOptions struct {
	// Vars are NAME=VALUE settings, in the order given.
	Vars []string
	// VarFiles are YAML files of NAME: VALUE, in the order given.
	VarFiles []string
}

// addVarFlags adds --var and --var-file to f.
func addVarFlags(f *pflag.FlagSet, v *VarOptions) {
	f.StringArrayVar(&v.Vars, "var", nil, "set a variable the file declares under vars: NAME=VALUE (repeatable; wins over --var-file and the default)")
	f.StringArrayVar(&v.VarFiles, "var-file", nil, "a YAML file of variables, NAME: VALUE (repeatable; later files win)")
}

// set tells whether any variable was given.
func (v VarOptions) set() bool { return len(v.Vars)+len(v.VarFiles) > 0 }

// given reads the variables: the files' in order, then --var's, so that
// --var wins.
func (v VarOptions) given() ([]yamldoc.Var, error) {
	var out []yamldoc.Var
	for _, path := range v.VarFiles {
		vars, err := yamldoc.ReadVars(path)
		if err != nil {
			return nil, &ExitError{Code: ExitBadInput, Err: err}
		}
		out = append(out, vars...)
	}
	for _, s := range v.Vars {
		vv, err := yamldoc.VarFlag(s)
		if err != nil {
			return nil, &ExitError{Code: ExitBadInput, Err: err}
		}
		out = append(out, vv)
	}
	return out, nil
}

// loadWithVars loads the runbook or drill at path (load: runbooks.Load,
// drills.Load) with the variables given; every problem is bad input (exit
// 2). A drill is fitted to the inventory later, when its session opens.
func loadWithVars[T any](path string, v VarOptions, load func(string, ...yamldoc.Var) (T, error)) (T, error) {
	var none T
	vars, err := v.given()
	if err != nil {
		return none, err
	}
	x, err := load(path, vars...)
	if err != nil {
		return none, &ExitError{Code: ExitBadInput, Err: err}
	}
	return x, nil
}

// errVarsWithoutRunbook refuses variables that nothing would use.
var errVarsWithoutRunbook = &ExitError{Code: ExitBadInput, Err: errors.New("--var and --var-file set runbook variables, so they need --runbook")}
