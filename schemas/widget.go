package schemas

// Widget is the kind of input a form question uses. The kinds are declared
// here once; form decoding, normalisation, the HTML widgets, the PDF and the
// browser script switch on these constants, and a template naming any other
// kind is refused when it loads.
type Widget string

// The widget kinds. Each kind's answer shape is in widgetKinds.
const (
	WidgetCheckbox      Widget = "checkbox"      // true, or absent
	WidgetYesNo         Widget = "yesNo"         // true or false
	WidgetText          Widget = "text"          // a one-line string
	WidgetTextarea      Widget = "textarea"      // a multi-line string
	WidgetInteger       Widget = "integer"       // a whole number
	WidgetDate          Widget = "date"          // "YYYY-MM-DD"
	WidgetRadio         Widget = "radio"         // one option's value
	WidgetCheckboxGroup Widget = "checkboxGroup" // a list of option values
	WidgetCheckboxDates Widget = "checkboxDates" // [{type: option, date}]
	WidgetDiagnoses     Widget = "diagnoses"     // [{code, description}], up to maxItems
	WidgetPeriods       Widget = "periods"       // [{degree: option, from, to}], one row per option
	WidgetTextWithCodes Widget = "textWithCodes" // {text, icf: [codes]}
	WidgetAreaTexts     Widget = "areaTexts"     // [{area: option, text}]
	WidgetGroup         Widget = "group"         // [{item fields…}], up to maxItems
)

// The members of list items whose shape a widget kind fixes.
const (
	ItemType        = "type"        // checkboxDates: the chosen option
	ItemDate        = "date"        // checkboxDates: its date
	ItemArea        = "area"        // areaTexts: the chosen option
	ItemText        = "text"        // areaTexts and textWithCodes: the text
	ItemICF         = "icf"         // textWithCodes: the ICF codes
	ItemCode        = "code"        // diagnoses: the code
	ItemDescription = "description" // diagnoses: the physician's words
	ItemDegree      = "degree"      // periods: the chosen option (a degree)
	ItemFrom        = "from"        // periods: the first day
	ItemTo          = "to"          // periods: the last day
)

// Shape is the JSON type of an answer.
type Shape string

// Answer shapes.
const (
	ShapeBoolean Shape = "boolean"
	ShapeString  Shape = "string"
	ShapeInteger Shape = "integer"
	ShapeArray   Shape = "array"
	ShapeObject  Shape = "object"
)

// WidgetKind says what a widget's answer looks like.
type WidgetKind struct {
	// Answer is the JSON type of the answer.
	Answer Shape
	// Options is true when the question must list its options.
	Options bool
	// OptionKey is, for a list of option items, the item member that holds
	// the option's value ("type", "area", "degree"); "" otherwise.
	OptionKey string
	// Detail is the item member beside OptionKey that the physician fills
	// in for a chosen option ("date", "text"); "" when there is none.
	Detail string
	// Repeated is true when the answer is a list of items whose fields are
	// the question's items (up to maxItems).
	Repeated bool
	// Items are the item fields this kind always has (for periods and
	// textWithCodes); a question of a repeated kind declares its own.
	Items []string
}

// widgetKinds is the vocabulary: every kind and the shape of its answer.
var widgetKinds = map[Widget]WidgetKind{
	WidgetCheckbox:      {Answer: ShapeBoolean},
	WidgetYesNo:         {Answer: ShapeBoolean},
	WidgetText:          {Answer: ShapeString},
	WidgetTextarea:      {Answer: ShapeString},
	WidgetInteger:       {Answer: ShapeInteger},
	WidgetDate:          {Answer: ShapeString},
	WidgetRadio:         {Answer: ShapeString, Options: true},
	WidgetCheckboxGroup: {Answer: ShapeArray, Options: true},
	WidgetCheckboxDates: {Answer: ShapeArray, Options: true, OptionKey: ItemType, Detail: ItemDate},
	WidgetDiagnoses:     {Answer: ShapeArray, Repeated: true, Items: []string{ItemCode, ItemDescription}},
	WidgetPeriods:       {Answer: ShapeArray, Options: true, OptionKey: ItemDegree, Items: []string{ItemFrom, ItemTo}},
	WidgetTextWithCodes: {Answer: ShapeObject, Items: []string{ItemText, ItemICF}},
	WidgetAreaTexts:     {Answer: ShapeArray, Options: true, OptionKey: ItemArea, Detail: ItemText},
	WidgetGroup:         {Answer: ShapeArray, Repeated: true},
}

// Widgets returns every widget kind, in the order of the constants' doc.
func Widgets() []Widget {
	return []Widget{WidgetCheckbox, WidgetYesNo, WidgetText, WidgetTextarea, WidgetInteger, WidgetDate,
		WidgetRadio, WidgetCheckboxGroup, WidgetCheckboxDates, WidgetDiagnoses, WidgetPeriods,
		WidgetTextWithCodes, WidgetAreaTexts, WidgetGroup}
}

// Kind returns the widget's answer shape; ok is false for an unknown kind.
func (w Widget) Kind() (WidgetKind, bool) {
	k, ok := widgetKinds[w]
	return k, ok
}
