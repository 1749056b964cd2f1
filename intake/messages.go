package intake

import "fmt"

// messages holds the Swedish and English text of each problem code. A %v in
// the text is filled with the problem's limit (a length, a count, a value).
var messages = map[string][2]string{
	"required":         {"Uppgiften måste fyllas i.", "This field is required."},
	"notAllowed":       {"Uppgiften får inte anges här.", "This field is not allowed here."},
	"type":             {"Uppgiften har fel typ, %v förväntas.", "Wrong type of value, expected %v."},
	"enum":             {"Värdet är inte ett av de tillåtna: %v.", "The value is not one of those allowed: %v."},
	"maxLength":        {"Texten får vara högst %v tecken.", "The text may be at most %v characters."},
	"minLength":        {"Texten måste vara minst %v tecken.", "The text must be at least %v characters."},
	"maxItems":         {"Ange högst %v.", "Give at most %v."},
	"minItems":         {"Ange minst %v.", "Give at least %v."},
	"minimum":          {"Värdet måste vara minst %v.", "The value must be at least %v."},
	"maximum":          {"Värdet får vara högst %v.", "The value may be at most %v."},
	"pattern":          {"Värdet har fel format.", "The value has the wrong format."},
	"format":           {"Värdet har fel format, %v förväntas.", "The value has the wrong format, expected %v."},
	"invalidDate":      {"Ange ett giltigt datum (ÅÅÅÅ-MM-DD).", "Give a valid date (YYYY-MM-DD)."},
	"invalidDateTime":  {"Ange en giltig tidpunkt enligt RFC 3339.", "Give a valid RFC 3339 time."},
	"duplicate":        {"Värdet är redan angivet.", "The value is already given."},
	"dateInFuture":     {"Datumet får inte vara senare än dagens datum.", "The date may not be after today."},
	"dateTooEarly":     {"Datumet ligger för långt tillbaka.", "The date is too far back."},
	"earlyStart":       {"Perioden börjar mer än %v dagar före intygets datum. Kontrollera startdatumet.", "The period starts more than %v days before the certificate date. Check the start date."},
	"dateBeforeStart":  {"Ange ett slutdatum som infaller efter startdatumet.", "Give an end date on or after the start date."},
	"overlap":          {"Perioden överlappar en annan period.", "The period overlaps another period."},
	"unknownCode":      {"Koden finns inte i %v.", "The code does not exist in %v."},
	"codeTooShort":     {"Ange diagnoskoden med minst %v tecken.", "Give the diagnosis code with at least %v characters."},
	"checksum":         {"Kontrollsiffran stämmer inte.", "The check digit is wrong."},
	"interimNumber":    {"Reservnummer kan inte användas, ange personnummer eller samordningsnummer.", "Interim numbers cannot be used; give a personnummer or samordningsnummer."},
	"unknownTemplate":  {"Intygstypen %v finns inte.", "There is no certificate template %v."},
	"unknownVersion":   {"Versionen %v av intygstypen finns inte.", "There is no version %v of this template."},
	"invalid":          {"Värdet är ogiltigt.", "The value is not valid."},
	"invalidCharacter": {"Texten innehåller ett otillåtet styrtecken (%v).", "The text holds a control character that is not allowed (%v)."},
	"tooManyProblems":  {"Intyget har %v fel till som inte visas. Rätta de visade och skicka igen.", "The certificate has %v more problems that are not shown. Correct those shown and send it again."},
}

// problem builds a Problem with its messages; arg fills %v where the message
// has one.
func problem(pointer, code string, arg any) Problem {
	m, ok := messages[code]
	if !ok {
		m = messages["invalid"]
	}
	return Problem{Pointer: pointer, Code: code, Message: fill(m[0], arg), MessageEn: fill(m[1], arg)}
}

func fill(format string, arg any) string {
	for i := 0; i+1 < len(format); i++ {
		if format[i] == '%' && format[i+1] == 'v' {
			return fmt.Sprintf(format, arg)
		}
	}
	return format
}
