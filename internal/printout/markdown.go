package printout

import (
	"regexp"
	"strconv"
	"strings"
)

// Markdown renders the checklist as GitHub-flavoured Markdown: headings per stage and group,
// `- [x]` task boxes and the fill-in tables as tables. Text from the API is escaped so that it
// stays text: it cannot open a link, an image, a heading, a table cell or raw HTML.
func Markdown(in Input) []byte {
	doc := build(in)
	var b strings.Builder
	w := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	w("# Migration checklist: ", mdText(doc.PracticeName), " (", mdText(doc.ODSCode), ")\n\n")
	w("| | |\n| --- | --- |\n")
	w("| Current system | ", mdCell(doc.CurrentSystem), " |\n")
	w("| New system | ", mdCell(doc.NewSystem), " |\n")
	w("| Status | ", mdCell(doc.Status), " |\n")
	for _, kd := range doc.KeyDates {
		w("| ", mdCell(kd.Label), " | ", mdCell(kd.Value), " |\n")
	}
	w("| Checklist | ", mdCell(doc.GuideTitle+", "+doc.TemplateVersion), " |\n")
	w("| Printed | ", mdCell(doc.GeneratedAt), " |\n\n")
	for _, st := range doc.Stages {
		w("## Stage ", strconv.Itoa(st.Number), ": ", mdText(st.Title))
		if st.SignedOff {
			w(" (signed off)")
		}
		w("\n\n")
		if st.Summary != "" {
			w(mdText(st.Summary), "\n\n")
		}
		for _, n := range st.Notices {
			w("> **", mdText(n), "**\n\n")
		}
		if len(st.Roles) > 0 {
			w("### Who is involved\n\n")
			for _, r := range st.Roles {
				w("- ", mdText(r), "\n")
			}
			w("\n")
		}
		for _, g := range st.Groups {
			w("### ", mdText(g.Title), "\n\n")
			for _, tp := range g.Topics {
				w("- ", mdText(tp), "\n")
			}
			if len(g.Topics) > 0 {
				w("\n")
			}
			for _, sec := range g.Sections {
				if sec.Heading != "" {
					w("#### ", mdText(sec.Heading), "\n\n")
				}
				if sec.GDPRWarning {
					w("> **", mdText(GDPRWarning), "**\n\n")
				}
				for _, item := range sec.Items {
					for _, tb := range item.Tables {
						mdTable(&b, tb)
					}
					mdTask(&b, item.Task)
				}
			}
		}
		if len(st.LooseTables) > 0 {
			w("### Records for this stage\n\n")
			for _, tb := range st.LooseTables {
				mdTable(&b, tb)
			}
		}
		w("### Sign-off\n\n| Role | Name | Date |\n| --- | --- | --- |\n")
		for _, so := range st.Signoffs {
			w("| ", mdCell(so.Role), " | ", mdCell(so.Name), " | ", mdCell(so.SignedAt), " |\n")
		}
		w("\n")
	}
	return []byte(b.String())
}

func mdTask(b *strings.Builder, t taskView) {
	if t.WarnGDPR {
		b.WriteString("> **" + mdText(GDPRWarning) + "**\n\n")
	}
	box := "[ ]"
	if t.Status == "done" || t.Status == "not_applicable" {
		box = "[x]"
	}
	title := "**" + mdText(t.Title) + "**"
	if t.Status == "not_applicable" {
		title = "~~" + title + "~~"
	}
	b.WriteString("- " + box + " " + title)
	if t.Local {
		b.WriteString(" *(local addition)*")
	}
	if t.Custom {
		b.WriteString(" *(added for this migration)*")
	}
	// Continuation lines are indented under the list item; a trailing backslash is a hard break.
	var lines []string
	if t.Guidance != "" {
		lines = append(lines, mdText(t.Guidance))
	}
	meta := t.StatusLabel
	if t.Completed != "" {
		meta += " on " + t.Completed
	}
	if t.Due != "" {
		meta += " · due " + t.Due
		if t.Overdue {
			meta += " (overdue)"
		}
	}
	if t.Timing != "" {
		meta += " · " + t.Timing
	}
	meta += " · owner: " + t.Owner
	lines = append(lines, "*"+mdText(meta)+"*")
	if t.NAReason != "" {
		lines = append(lines, "Not applicable because: "+mdText(t.NAReason))
	}
	if t.Notes != "" {
		notes := strings.Split(strings.ReplaceAll(t.Notes, "\r\n", "\n"), "\n")
		for i, n := range notes {
			notes[i] = mdText(n)
		}
		lines = append(lines, "Notes: "+strings.Join(notes, "\\\n  "))
	}
	b.WriteString("\\\n  " + strings.Join(lines, "\\\n  ") + "\n\n")
}

func mdTable(b *strings.Builder, tb tableView) {
	b.WriteString("**" + mdText(tb.Title) + "**\n\n|")
	for _, c := range tb.Columns {
		b.WriteString(" " + mdCell(c) + " |")
	}
	b.WriteString("\n|")
	for range tb.Columns {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, row := range tb.Rows {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + mdCell(c) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// mdSpecial are the characters that mean something anywhere in a line: emphasis, code, links
// and images (a "(" only matters after a "]", which is escaped), raw HTML and autolinks,
// entities, table cells and strikethrough.
var mdSpecial = regexp.MustCompile("[\\\\`*_\\[\\]<>|~&]")

// lineStart matches what only means something at the start of a line: a list marker ("-", "+",
// "1." or "1)"), a heading, a setext or thematic rule.
var lineStart = regexp.MustCompile(`^(\s*)([-+=#]|\d+[.)])`)

// mdText escapes text so that Markdown shows it as it is, on one line.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = mdSpecial.ReplaceAllString(s, `\$0`)
	return lineStart.ReplaceAllStringFunc(s, func(m string) string {
		i := len(m) - 1
		return m[:i] + `\` + m[i:]
	})
}

// mdCell is mdText for a table cell, where a line break becomes "; ".
func mdCell(s string) string {
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = mdText(p)
	}
	return strings.Join(parts, "; ")
}
