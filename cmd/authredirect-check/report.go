package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"

	"github.com/authredirect/authredirect/conformance"
)

// writeText writes the table people read: one line a row, the expected
// and received lines under a failure, the reason beside a skip, then the
// summary line.
func writeText(w io.Writer, cfg conformance.Config, rep *conformance.Report) {
	level := "contract"
	if cfg.Strict {
		level = "contract and strict"
	}
	fmt.Fprintf(w, "%s: %s rows\n\n", cfg.BaseURL, level)
	for _, r := range rep.Rows {
		fmt.Fprintf(w, "  %s  %-8s  %s", r.Status, r.Level, r.Name)
		switch r.Status {
		case conformance.Fail:
			fmt.Fprintf(w, "\n          expected: %s\n          received: %s", r.Expected, r.Received)
		case conformance.Skip:
			fmt.Fprintf(w, " (%s)", r.SkipReason)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n%s\n", rep.Summary())
}

// jsonReport is the report as -json prints it.
type jsonReport struct {
	BaseURL  string            `json:"base_url"`
	Strict   bool              `json:"strict"`
	Passed   int               `json:"passed"`
	Failed   int               `json:"failed"`
	Skipped  int               `json:"skipped"`
	Requests int               `json:"requests"`
	Rows     []conformance.Row `json:"rows"`
}

func writeJSON(w io.Writer, cfg conformance.Config, rep *conformance.Report) error {
	j := jsonReport{BaseURL: cfg.BaseURL, Strict: cfg.Strict, Requests: rep.Requests, Rows: rep.Rows}
	j.Passed, j.Failed, j.Skipped = rep.Count()
	if j.Rows == nil {
		j.Rows = []conformance.Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}

// The JUnit XML that CI systems read: one suite per level, one test case
// per row.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
		Skipped   *junitSkipped `xml:"skipped,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

func writeJUnit(w io.Writer, rep *conformance.Report) error {
	all := junitSuites{Name: "authredirect-check"}
	for _, level := range []string{conformance.Contract, conformance.Strict} {
		s := junitSuite{Name: level}
		for _, r := range rep.Rows {
			if r.Level != level {
				continue
			}
			c := junitCase{Name: r.Name, ClassName: "authredirect-check." + level}
			switch r.Status {
			case conformance.Fail:
				c.Failure = &junitFailure{Message: "received: " + r.Received, Text: "expected: " + r.Expected + "\nreceived: " + r.Received}
				s.Failures++
			case conformance.Skip:
				c.Skipped = &junitSkipped{Message: r.SkipReason}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
			s.Tests++
		}
		if s.Tests > 0 {
			all.Suites = append(all.Suites, s)
			all.Tests, all.Failures, all.Skipped = all.Tests+s.Tests, all.Failures+s.Failures, all.Skipped+s.Skipped
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func writeJUnitFile(name string, rep *conformance.Report) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := writeJUnit(f, rep); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
