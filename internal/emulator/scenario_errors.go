package emulator

import (
	"errors"
	"regexp"

	"github.com/sagesaver/sagesaver/internal/config"
)

// ScenarioSource is the file a Scenario was read from and its bytes.
type ScenarioSource struct {
	File string
	Data []byte
}

// scenarioFieldRE splits a loader's error, "accounts[0].regions.us-east-1.
// notebooks[2].age: bad age \"3x\"", into the field path and the message.
// Every loader (scenario.go and the kinds' *_scenario.go files) writes its
// errors this way: the path from the document's root, ": ", what is wrong.
var scenarioFieldRE = regexp.MustCompile(`^((?:accounts|prices)\[\d+\]\S*?): ((?s).+)$`)

// located turns an error from loading sc into a *config.FileError that
// names the scenario file, the line and the field, when sc was read from
// YAML (ParseScenario) and the error starts with a field path; otherwise
// it returns err as it is.
func (sc *Scenario) located(err error) error {
	if err == nil || sc.Source == nil {
		return err
	}
	file, data := sc.Source.File, sc.Source.Data
	var fe *config.FileError
	if errors.As(err, &fe) {
		return config.Attach(file, data, fe)
	}
	m := scenarioFieldRE.FindStringSubmatch(err.Error())
	if m == nil {
		return config.Attach(file, data, err)
	}
	return config.Attach(file, data, &config.FileError{Field: m[1], Msg: m[2]})
}
