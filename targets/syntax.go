package targets

import (
	"errors"
	"strings"

	"github.com/goccy/go-yaml/token"
)

// tokenError is what goccy/go-yaml's syntax errors implement.
type tokenError interface {
	GetToken() *token.Token
	GetMessage() string
}

func syntaxPos(err error) Pos {
	var te tokenError
	if errors.As(err, &te) {
		if tk := te.GetToken(); tk != nil && tk.Position != nil {
			return Pos{Line: tk.Position.Line, Col: tk.Position.Column}
		}
	}
	return Pos{Line: 1, Col: 1}
}

// syntaxMessage is the parser's one-line message, without the source
// excerpt goccy/go-yaml appends to Error().
func syntaxMessage(err error) string {
	var te tokenError
	if errors.As(err, &te) {
		return te.GetMessage()
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}
