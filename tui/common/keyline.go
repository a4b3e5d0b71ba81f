package common

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// KeyLine lists the enabled bindings as "key desc · key desc"; keys that
// arm a fault are marked "!" so the mark survives monochrome terminals.
func KeyLine(c Common, bindings []key.Binding) string {
	parts := make([]string, 0, len(bindings))
	for _, b := range bindings {
		if !b.Enabled() {
			continue
		}
		k := b.Help().Key
		if c.Keys.Dangerous(b) {
			k = c.Styles.Dangerous.Render(k + "!")
		} else {
			k = c.Styles.StatusKey.Render(k)
		}
		parts = append(parts, k+" "+b.Help().Desc)
	}
	return strings.Join(parts, " · ")
}
