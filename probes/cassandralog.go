package probes

import (
	"fmt"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// gocqlLogger writes the driver's warnings and errors to Options.DriverLog
// (nothing when it is nil), never to stderr under the TUI.
type gocqlLogger struct{ opts Options }

func driverLogger(opts Options) gocql.StructuredLogger { return gocqlLogger{opts} }

func (l gocqlLogger) write(level, msg string, fields []gocql.LogField) {
	if l.opts.DriverLog == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gocql %s: %s", level, msg)
	for _, f := range fields {
		fmt.Fprintf(&b, " %s=%v", f.Name, f.Value)
	}
	fmt.Fprintln(l.opts.DriverLog, b.String())
}

// Error, Warning, Info and Debug implement gocql.StructuredLogger; only
// warnings and errors are kept.
func (l gocqlLogger) Error(msg string, fields ...gocql.LogField)   { l.write("error", msg, fields) }
func (l gocqlLogger) Warning(msg string, fields ...gocql.LogField) { l.write("warning", msg, fields) }
func (l gocqlLogger) Info(string, ...gocql.LogField)               {}
func (l gocqlLogger) Debug(string, ...gocql.LogField)              {}
