package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/cutoverhq/cutover/internal/checklist"
)

// buildVersion is set at link time (-ldflags "-X main.buildVersion=v1.2.3"); otherwise it comes
// from the module's build information.
var buildVersion = ""

func version(stdout io.Writer) error {
	v := buildVersion
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok {
			if bi.Main.Version != "" {
				v = bi.Main.Version
			}
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += " " + s.Value[:12]
				}
			}
		}
	}
	lib := checklist.Builtin()
	fmt.Fprintf(stdout, "cutover %s\nchecklist template %s (known: %v)\n", v, lib.Current().Version, lib.Versions())
	return nil
}
