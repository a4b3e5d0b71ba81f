package inject

import "github.com/gameday-dev/gameday/targets"

// defaultLab returns the lab controller for the inventory's lab.
func defaultLab(inv *targets.Inventory) LabController {
	return nil
}
