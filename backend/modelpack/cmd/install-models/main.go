// Command install-models copies the face models listed in models/models.json
// from a source folder (or their download URL) into the models folder,
// verifying every sha256. `make models` runs it.
package main

import (
	"flag"
	"fmt"
	"os"

	"castscope/backend/errs"
	"castscope/backend/modelpack"
)

func main() {
	from := flag.String("from", "../shared/models", "folder holding the model files")
	to := flag.String("to", "models", "folder to install them into")
	flag.Parse()
	p := modelpack.Default()
	if err := p.Install(*from, *to); err != nil {
		e := errs.As(err)
		fmt.Fprintf(os.Stderr, "error: %s %s\n  hint: %s\n", e.Code, e.Message, e.Hint)
		os.Exit(1)
	}
	for _, s := range p.Verify(*to) {
		fmt.Printf("models: %-10s %s sha256 ok\n", s.Name, s.Path)
	}
}
