package intake

import (
	"fmt"
	"strconv"
	"strings"
)

// messages is the one catalogue of what people read: the Swedish and
// English text of each problem code, of each search-parameter fault, of
// each refusal of a whole request (a problem document's detail, through
// Failure) and of the pages' fixed sentences. Each %v in the text is
// filled, in order, with a value (a length, a count, a path, an id). No
// handler or store writes such a text inline.
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
	"dateAfter":        {"Datumet får inte vara senare än %v.", "The date may not be after %v."},
	"dateAfterBasis":   {"Datumet får inte vara senare än datumet för undersökningen av patienten eller anhörigs beskrivning (%v).", "The date may not be after the date of the examination of the patient or of the relative's description (%v)."},
	"overlap":          {"Perioden överlappar en annan period.", "The period overlaps another period."},
	"unknownCode":      {"Koden finns inte i %v.", "The code does not exist in %v."},
	"codeTooShort":     {"Ange diagnoskoden med minst %v tecken.", "Give the diagnosis code with at least %v characters."},
	"checksum":         {"Kontrollsiffran stämmer inte.", "The check digit is wrong."},
	"interimNumber":    {"Reservnummer kan inte användas, ange personnummer eller samordningsnummer.", "Interim numbers cannot be used; give a personnummer or samordningsnummer."},
	"unknownTemplate":  {"Intygstypen %v finns inte.", "There is no certificate template %v."},
	"unknownVersion":   {"Versionen %v av intygstypen finns inte.", "There is no version %v of this template."},
	"invalid":          {"Värdet är ogiltigt.", "The value is not valid."},
	"invalidCharacter": {"Texten innehåller ett otillåtet styrtecken (%v).", "The text holds a control character that is not allowed (%v)."},
	"notFound":         {"Intyget finns inte.", "The certificate does not exist."},
	"relationMismatch": {"Intyget gäller en annan patient eller är av ett annat slag.", "The certificate is for another patient or of another kind."},
	"unknownQuestion":  {"Intyget har ingen fråga med id %v.", "The certificate has no question with id %v."},
	"dateInPast":       {"Datumet får inte vara tidigare än dagens datum.", "The date may not be before today."},
	"tooManyProblems":  {"Intyget har %v fel till som inte visas. Rätta de visade och skicka igen.", "The certificate has %v more problems that are not shown. Correct those shown and send it again."},

	// Search parameters of the list endpoints.
	"param.unknown":                     {"Okänd sökparameter.", "Unknown search parameter."},
	"param.repeated":                    {"Ange sökparametern en gång.", "Give the search parameter once."},
	"param.patient":                     {"Ange patientens person- eller samordningsnummer, eller utelämna parametern.", "Give the patient's personal or coordination number, or leave the parameter out."},
	"param.status":                      {"Okänd status.", "Unknown status."},
	"param.time":                        {"Ange en tidpunkt enligt RFC 3339.", "Give an RFC 3339 time."},
	"param.timeOrDate":                  {"Ange en tidpunkt (RFC 3339) eller ett datum.", "Give an RFC 3339 time or a date."},
	"param.template":                    {"Okänd intygsmall.", "Unknown template."},
	"param.attention":                   {"Okänd uppmärksamhetsflagga.", "Unknown attention flag."},
	"param.messages":                    {"Ange open, answered eller overdue.", "Give open, answered or overdue."},
	"personalID.date":                   {"Födelsedatumet i numret är inte ett giltigt datum.", "The date of birth in the number is not a valid date."},
	"personalID.birthNumber":            {"Födelsenumret 000 (siffrorna före kontrollsiffran) delas aldrig ut.", "The birth number 000 (the digits before the check digit) is never issued."},
	"signedAt.future":                   {"Signeringstiden får inte vara senare än nu.", "The signing time may not be later than now."},
	"param.attentionOtherUnits":         {"Flaggan bygger på andra vårdenheters intyg och visas bara för handläggare.", "The flag rests on other care units' certificates and is shown to caseworkers only."},
	"param.flag":                        {"Ange true eller false.", "Give true or false."},
	"param.limit":                       {"Ange ett antal mellan 1 och %v.", "Give a number from 1 to %v."},
	"param.copy":                        {"Ange copy=employer eller ingenting.", "Give copy=employer or nothing."},
	"param.invalid":                     {"Sökparametrarna är inte giltiga.", "The search parameters are not valid."},
	"password.short":                    {"Lösenordet måste ha minst %v tecken.", "The password must have at least %v characters."},
	"password.common":                   {"Lösenordet är för vanligt eller för lätt att gissa. Välj ett annat.", "The password is too common or too easy to guess. Choose another."},
	"queue.refExpired":                  {"Patientfiltret har gått ut. Ange patienten igen.", "The patient filter has expired. Give the patient again."},
	"queue.since":                       {"Ange ett datum som ÅÅÅÅ-MM-DD.", "Give a date as YYYY-MM-DD."},
	"print.choose":                      {"Välj mellan 1 och %v intyg att skriva ut.", "Choose from 1 to %v certificates to print."},
	"lifecycle.draftAtOtherUnit":        {"Utkastet skrevs vid vårdenheten %v och öppnas bara när du är inloggad för den.", "The draft was written at the care unit %v and opens only when you are signed in for it."},
	"lifecycle.draftSigned":             {"Utkastet är redan signerat, i en annan flik eller ett annat fönster: ändringarna här sparades inte.", "The draft is already signed, in another tab or window: the changes here were not saved."},
	"lifecycle.draftRecreated":          {"Utkastet hade tagits bort i en annan flik. Svaren har sparats som ett nytt utkast.", "The draft had been deleted in another tab. The answers have been saved as a new draft."},
	"lifecycle.draftSavedAnew":          {"Utkastet hade redan sparats som ett nytt utkast i en annan flik och återställdes därför inte en gång till. Här är det nya utkastet.", "The draft had already been saved as a new draft in another tab, so it was not restored a second time. This is the new draft."},
	"lifecycle.draftChanged":            {"Utkastet har sparats i en annan flik eller ett annat fönster sedan det öppnades här, så ändringarna här sparades inte. Öppna utkastet igen för att fortsätta på det som sparades.", "The draft was saved in another tab or window since it was opened here, so the changes here were not saved. Open the draft again to go on from what was saved."},
	"lifecycle.draftChangedSavedAs":     {"Utkastet hade tagits bort i en annan flik, och svaren finns nu i ett nytt utkast som har sparats sedan dess, så ändringarna här sparades inte. Fortsätt i det nya utkastet, på det som sparades där.", "The draft had been deleted in another tab, and its answers are now in a new draft that has been saved since, so the changes here were not saved. Go on in the new draft, from what was saved there."},
	"lifecycle.certificateRevoked":      {"Intyget är makulerat.", "The certificate is revoked."},
	"lifecycle.certificateReplaced":     {"Intyget är redan ersatt av ett annat intyg.", "The certificate is already replaced by another."},
	"lifecycle.completionRequestOpen":   {"Intyget har en obesvarad begäran om komplettering. Svara på den genom att komplettera intyget i stället för att ersätta det.", "The certificate has an open completion request. Answer it by completing the certificate instead of replacing it."},
	"lifecycle.noOpenCompletionRequest": {"Intyget har ingen obesvarad begäran om komplettering.", "The certificate has no open completion request."},
	"lifecycle.messageClosed":           {"Meddelandet är redan besvarat eller stängt.", "The message is already answered or closed."},
	"idempotency.keyReusedMessage":      {"Idempotency-Key har redan använts för ett annat meddelande (med en annan text eller till ett annat intyg). Använd en ny nyckel för ett nytt meddelande.", "The Idempotency-Key was already used for another message (another body, or to another certificate). Use a new key for a new message."},
	"idempotency.keyReusedAnswer":       {"Idempotency-Key har redan använts för ett annat svar (med en annan text eller på ett annat meddelande). Använd en ny nyckel för ett nytt svar.", "The Idempotency-Key was already used for another answer (another body, or to another message). Use a new key for a new answer."},
	"idempotency.keyReused":             {"Idempotency-Key har redan använts för en annan inlämning. Använd en ny nyckel för ett nytt intyg.", "The Idempotency-Key was already used with a different body. Use a new key for a new certificate."},
	"lifecycle.answerWithText":          {"Meddelandet besvaras med en text: bara en begäran om komplettering besvaras med ett intyg.", "This message is answered with a text: only a completion request is answered with a certificate."},
	"lifecycle.answerCertificate":       {"Kompletteringen ska vara ett intyg som kompletterar det intyg frågan gäller.", "The completion must be a certificate that completes the certificate the request is about."},
	"compare.two":                       {"Välj två intyg att jämföra.", "Choose two certificates to compare."},
	"form.unitChanged":                  {"Du arbetar nu vid en annan vårdenhet (%v) än när intyget granskades. Granska det igen.", "You now work at another unit (%v) than when the certificate was reviewed. Review it again."},
	"form.untickedDetail":               {"Det som står vid ”%v” kommer inte med i intyget: kryssa i rutan eller ta bort det.", "What is entered beside “%v” is left out of the certificate: tick its box or remove it."},
	"form.chooseComplement":             {"Välj minst en fråga att komplettera.", "Choose at least one question to complete."},
	"form.patientMissing":               {"Fyll i patientens personnummer eller samordningsnummer.", "Enter the patient's personal or coordination number."},
	"form.completionOfReplaced":         {"Intyget har ersatts av ett annat sedan sidan visades: begär komplettering av det intyget.", "The certificate has been replaced by another since the page was shown: ask for completion of that one."},
	"form.untickedComplement":           {"Det som står vid fråga %v skickas inte med: kryssa i frågan eller ta bort texten.", "What is entered beside question %v is not sent: tick the question or remove the text."},
	"compare.same":                      {"Bara intyg av samma slag för samma patient kan jämföras.", "Only certificates of one kind for one patient compare."},
	"compare.twice":                     {"Välj två olika intyg att jämföra.", "Choose two different certificates to compare."},
	"status.received":                   {"Mottaget", "Received"},
	"event.received":                    {"Mottaget", "Received"},
	"event.handled":                     {"Markerat som hanterat", "Marked handled"},
	"event.unhandled":                   {"Markerat som ohanterat igen", "Marked not handled again"},
	"event.revoked":                     {"Makulerat", "Revoked"},
	"event.replaced":                    {"Ersatt av ett annat intyg", "Replaced by another certificate"},
	"event.unreplaced":                  {"Inte längre ersatt: det ersättande intyget makulerades", "No longer replaced: the replacing certificate was revoked"},
	"event.messageSent":                 {"Meddelande skickat", "Message sent"},
	"event.messageAnswered":             {"Meddelande besvarat", "Message answered"},
	"event.messageClosed":               {"Meddelande stängt", "Message closed"},
	"event.renewed":                     {"Förnyat med ett nytt intyg", "Renewed by a new certificate"},
	"history.system":                    {"Vårdsystemet", "The clinic's system"},
	"history.agencySystem":              {"Försäkringskassans system", "The agency's system"},
	"history.admin":                     {"Administratör", "Administrator"},
	"history.unknown":                   {"Okänd", "Unknown"},
	"status.handled":                    {"Hanterat", "Handled"},
	"status.revoked":                    {"Makulerat", "Revoked"},
	"status.replaced":                   {"Ersatt", "Replaced"},
	"form.row":                          {"Rad %v", "Row %v"},
	"form.diagnosis":                    {"Diagnos %v", "Diagnosis %v"},
	"form.item.date":                    {"datum", "date"},
	"form.item.text":                    {"beskrivning", "description"},
	"form.item.from":                    {"från och med", "from"},
	"form.item.to":                      {"till och med", "to"},
	"signIn.failed":                     {"Fel användarnamn eller lösenord.", "Wrong user name or password."},
	"signIn.locked":                     {"För många misslyckade inloggningar. Vänta 15 minuter och försök igen.", "Too many failed sign-ins. Wait 15 minutes and try again."},
	"signIn.busy":                       {"Många inloggningar pågår just nu. Försök igen om en stund.", "Many sign-ins are under way. Try again in a moment."},
	"refused.unauthorized":              {"Inloggning eller en giltig nyckel krävs.", "Unauthorized."},
	"refused.sessionEnded":              {"Inloggningen har avslutats.", "The session has ended."},
	"unavailable.database":              {"Databasen kan inte ta emot begäran just nu. Försök igen om en stund.", "The database cannot take the request now; try again shortly."},
	"unavailable.identityProvider":      {"Regionens inloggning kan inte nås just nu. Försök igen om en stund.", "The identity provider cannot be reached now; try again shortly."},
	"refused.forbidden":                 {"Din behörighet räcker inte till för detta.", "Forbidden."},
	"refused.crossOrigin":               {"Begäran från en annan webbplats tas inte emot.", "Cross-origin requests are not allowed."},
	"refused.noUnit":                    {"Nyckeln omfattar ingen vårdenhet som tar emot intyg nu: dess vårdenheter är avstängda, eller så är ingen registrerad under dess vårdgivare.", "This token covers no unit that takes certificates now: its units are disabled, or none is registered under its care provider."},
	"refused.units":                     {"Nyckeln får bara lämna in intyg för vårdenheterna %v.", "This token may submit only for units %v."},
	"refused.draftLocked":               {"Utkastet är låst.", "The draft is locked."},
	"refused.tooManyAttempts":           {"För många misslyckade försök från den här adressen. Vänta en stund och försök igen.", "Too many failed attempts from this address; wait and try again."},
	"refused.locked":                    {"För många misslyckade inloggningar. Vänta %v minuter och försök igen.", "Too many failed sign-ins; wait %v minutes."},
	"unit.choose":                       {"Välj en av dina vårdenheter.", "Choose one of your care units."},

	// Attention flags ("flag." + the template's flag code) and the case pages.
	"flag.earlyStart":                       {"En sjukskrivningsperiod börjar mer än %v dagar före intygets datum.", "A sick-leave period starts more than %v days before the certificate's date."},
	"flag.overlapOtherIssuer":               {"En period överlappar ett intyg för patienten från en annan vårdenhet (%v).", "A period overlaps a certificate for the patient from another care unit (%v)."},
	"flag.passesDay90":                      {"Sjukfallet når dag 90 i rehabiliteringskedjan (%v) under intygets perioder.", "The sick-leave case reaches day 90 of the rehabilitation chain (%v) within the certificate's periods."},
	"flag.passesDay180":                     {"Sjukfallet når dag 180 i rehabiliteringskedjan (%v) under intygets perioder.", "The sick-leave case reaches day 180 of the rehabilitation chain (%v) within the certificate's periods."},
	"flag.passesDay365":                     {"Sjukfallet når dag 365 i rehabiliteringskedjan (%v) under intygets perioder.", "The sick-leave case reaches day 365 of the rehabilitation chain (%v) within the certificate's periods."},
	"flag.longFullTimeWithoutMeasures":      {"Intyget har mer än %v dagar med hel sjukskrivning men inga åtgärder.", "The certificate has more than %v days of full-time sick leave but no measures."},
	"flag.noExamination":                    {"Intyget grundas varken på en fysisk eller en digital undersökning.", "The certificate is based on neither a physical nor a digital examination."},
	"flag.implausiblePeriod":                {"En period är längre än %v dagar eller börjar mer än så före eller efter intygets datum.", "A period is longer than %v days or starts more than that before or after the certificate's date."},
	"flagLabel.earlyStart":                  {"Tidig start", "Early start"},
	"flagLabel.overlapOtherIssuer":          {"Överlappar annan vårdenhet", "Overlaps another unit"},
	"flagLabel.passesDay90":                 {"Passerar dag 90", "Passes day 90"},
	"flagLabel.passesDay180":                {"Passerar dag 180", "Passes day 180"},
	"flagLabel.passesDay365":                {"Passerar dag 365", "Passes day 365"},
	"flagLabel.longFullTimeWithoutMeasures": {"Lång heltid utan åtgärder", "Long full time without measures"},
	"flagLabel.noExamination":               {"Ingen undersökning", "No examination"},
	"flagLabel.implausiblePeriod":           {"Orimlig period", "Implausible period"},
	"case.page":                             {"Ange sidnumret som ett heltal, 1 eller mer.", "Give the page number as a whole number, 1 or more."},
	"case.per":                              {"Ange antal patienter per sida som ett heltal från 1 till %v.", "Give the number of patients per page as a whole number from 1 to %v."},
	"case.days":                             {"Ange antal dagar som ett heltal, 0 eller mer.", "Give the number of days as a whole number, 0 or more."},
	"case.minOverMax":                       {"Minsta antal sjukdagar är större än högsta: inga sjukfall kan visas. Ändra gränserna.", "The least number of sick-leave days is more than the most: no case can show. Change the limits."},
	"case.gap":                              {"Ange ett uppehåll mellan 0 och %v dagar.", "Give a gap of 0 to %v days."},

	// Refusals of a whole request: the detail of its problem document.
	"request.query":                      {"Adressens sökparametrar kan inte läsas: %v.", "The URL's query is not valid: %v."},
	"request.url":                        {"Adressen måste vara UTF-8-text utan NUL-tecken.", "The URL must be UTF-8 text without NUL characters."},
	"request.method":                     {"Metoden %v kan inte användas här. Använd %v.", "Method %v is not allowed here; use %v."},
	"request.idempotencyKey":             {"Idempotency-Key ska vara en enda header med 1–%v skrivbara ASCII-tecken.", "The Idempotency-Key must be one header of 1–%v printable ASCII characters."},
	"request.draftSaved":                 {"Ange draftSaved som en tidpunkt enligt RFC 3339.", "draftSaved is not an RFC 3339 time."},
	"request.form":                       {"Formuläret kunde inte läsas.", "The form could not be read."},
	"request.formType":                   {"Skicka formuläret som application/x-www-form-urlencoded.", "Send the form as application/x-www-form-urlencoded."},
	"request.formName":                   {"Formuläret har ett fältnamn som inte är UTF-8-text utan NUL-tecken.", "The form holds a field name that is not UTF-8 text without NUL characters."},
	"request.formField":                  {"Formulärfältet %v har text som inte är UTF-8 utan NUL-tecken.", "The form field %v holds text that is not UTF-8 without NUL characters."},
	"body.tooLarge":                      {"Innehållet är större än %v byte.", "The body is larger than %v bytes."},
	"body.unreadable":                    {"Innehållet kunde inte läsas.", "The body could not be read."},
	"body.contentType":                   {"Skicka innehållet med Content-Type: application/json.", "Send the body as Content-Type: application/json."},
	"body.contentEncoding":               {"Skicka innehållet okomprimerat, utan Content-Encoding.", "Send the body uncompressed, without Content-Encoding."},
	"body.byteOrderMark":                 {"Innehållet börjar med en byte order mark. Skicka ren UTF-8-JSON.", "The body starts with a byte-order mark; send plain UTF-8 JSON."},
	"body.utf8":                          {"Innehållet är inte giltig UTF-8.", "The body is not valid UTF-8."},
	"body.notObject":                     {"Innehållet måste vara ett JSON-objekt.", "The body must be a JSON object."},
	"body.trailing":                      {"Innehållet har data efter JSON-objektet (position %v).", "The body has data after the JSON object (offset %v)."},
	"body.tooManyValues":                 {"Innehållet har fler än %v värden (gränsen nåddes vid %v).", "The body holds more than %v values (the limit was reached at %v)."},
	"body.tooDeep":                       {"JSON-innehållet är nästlat djupare än %v nivåer vid %v.", "The JSON is nested deeper than %v levels at %v."},
	"body.tooManyItems":                  {"Listan vid %v har fler än %v element.", "The array at %v has more than %v items."},
	"body.invalidJSON":                   {"Innehållet är inte giltig JSON (position %v).", "The body is not valid JSON (offset %v)."},
	"body.numberTooLong":                 {"Talet vid %v är längre än %v tecken.", "The number at %v is longer than %v characters."},
	"body.exponent":                      {"Talet vid %v har en exponent utanför ±999.", "The number at %v has an exponent beyond ±999."},
	"body.endsEarly":                     {"Innehållet är inte giltig JSON: det tar slut för tidigt.", "The body is not valid JSON: it ends too early."},
	"body.duplicateKey":                  {"Nyckeln %v förekommer två gånger.", "The key %v appears twice."},
	"body.syntaxAt":                      {"Innehållet är inte giltig JSON vid position %v: %v.", "The body is not valid JSON at offset %v: %v."},
	"body.syntax":                        {"Innehållet är inte giltig JSON: %v.", "The body is not valid JSON: %v."},
	"notFound.path":                      {"Det finns ingenting på adressen %v.", "There is nothing at %v."},
	"notFound.template":                  {"Intygstypen %v i version %v finns inte.", "There is no template %v version %v."},
	"notFound.codeList":                  {"Kodverket %v finns inte.", "There is no code list %v."},
	"notFound.certificate":               {"Intyget finns inte.", "Certificate not found."},
	"notFound.idempotencyKey":            {"Inget intyg har lämnats in med den Idempotency-Key.", "No certificate under that idempotency key."},
	"notFound.idempotencyKeyAnswer":      {"Inget svar har lämnats med den Idempotency-Key.", "No answer under that idempotency key."},
	"notFound.idempotencyKeyMessage":     {"Inget meddelande har skickats med den Idempotency-Key.", "No message under that idempotency key."},
	"notFound.draft":                     {"Utkastet finns inte.", "Draft not found."},
	"notFound.draftAtOtherUnit":          {"Utkastet skrevs vid en annan vårdenhet.", "The draft was written at another unit."},
	"notFound.message":                   {"Meddelandet finns inte.", "Message not found."},
	"notFound.user":                      {"Kontot finns inte.", "User not found."},
	"notFound.userID":                    {"Det finns inget konto %v.", "There is no user %v."},
	"notFound.unit":                      {"Vårdenheten finns inte.", "Unit not found."},
	"notFound.unitID":                    {"Det finns ingen vårdenhet %v.", "There is no unit %v."},
	"notFound.unitNotRegistered":         {"Vårdenheten %v är inte registrerad.", "Unit %v is not registered."},
	"notFound.token":                     {"Det finns ingen giltig nyckel med id %v.", "No live token with id %v."},
	"conflict.unit":                      {"Vårdenheten %v är redan registrerad.", "Unit %v is already registered."},
	"conflict.account":                   {"Användarnamnet %v eller HSA-id:t används redan.", "The user name %v or the HSA-id is already in use."},
	"invalid.certificate":                {"Intyget är inte giltigt.", "The certificate is not valid."},
	"invalid.certificateTooManyProblems": {"Intyget är inte giltigt: %v fel, de första %v visas.", "The certificate is not valid: %v problems, the first %v listed."},
	"invalid.relatedNotFound":            {"Det relaterade intyget finns inte.", "The related certificate was not found."},
	"invalid.relatedMismatch":            {"Det relaterade intyget gäller en annan patient, intygsmall eller version av mallen.", "The related certificate is of another patient, template or template version."},
	"invalid.message":                    {"Meddelandet är inte giltigt.", "The message is not valid."},
	"invalid.answer":                     {"Svaret är inte giltigt.", "The answer is not valid."},
	"invalid.revocation":                 {"Makuleringen är inte giltig.", "The revocation is not valid."},
	"invalid.handled":                    {"Ange handled=true eller handled=false.", "Send handled=true or handled=false."},
	"invalid.cursor":                     {"Ogiltig markör.", "The cursor is not valid."},
	"invalid.password":                   {"Lösenordet får inte användas.", "The password may not be used."},
	"invalid.unitTwice":                  {"En vårdenhet anges två gånger.", "A unit is named twice."},

	// Sign-in through the region's identity provider.
	"signIn.oidcFailed":    {"Inloggningen med regionens inloggning kunde inte slutföras. Försök igen.", "Signing in through the region's identity provider could not be completed. Try again."},
	"signIn.oidcNoAccount": {"Det finns inget aktivt konto i Intyg för den här identiteten. Kontakta en administratör om du behöver ett.", "There is no active account in Intyg for this identity. Contact an administrator if you need one."},

	// Accounts, units and tokens (admin pages and commands).
	"account.username":        {"Användarnamnet ska vara 2–64 tecken: små bokstäver a–z, siffror, punkt, bindestreck eller understreck.", "A user name is 2–64 characters: lower-case letters a–z, digits, '.', '-' or '_'."},
	"account.role":            {"Välj roll: läkare, rehabkoordinator, handläggare eller administratör.", "Choose a role: physician, rehabilitation coordinator, caseworker or admin."},
	"account.units":           {"Läkare och rehabkoordinatorer behöver minst en vårdenhet.", "Physicians and rehabilitation coordinators need at least one unit."},
	"account.unitsNotAllowed": {"Bara läkare och rehabkoordinatorer arbetar vid vårdenheter.", "Only physicians and rehabilitation coordinators work at units."},
	"account.taken":           {"Användarnamnet eller HSA-id:t används redan.", "The user name or the HSA-id is already in use."},
	"account.usernameTaken":   {"Användarnamnet används redan.", "The user name is already in use."},
	"account.hsaIdTaken":      {"HSA-id:t används redan av ett annat konto.", "The HSA-id is already in use by another account."},
	"account.unknown":         {"Det finns ingen person med det användarnamnet eller id:t.", "There is no person with that user name or id."},
	"password.mismatch":       {"Lösenorden är inte lika.", "The passwords are not the same."},
	"hsaId.pattern":           {"Ange ett HSA-id, till exempel SE2321000016-7P0C.", "Give an HSA-id, such as SE2321000016-7P0C."},
	"unit.postalCode":         {"Ange postnumret som NNN NN.", "Give the postal code as NNN NN."},
	"unit.taken":              {"Vårdenheten är redan registrerad.", "The unit is already registered."},
	"unit.unknown":            {"Vårdenheten är inte registrerad eller är avstängd.", "The unit is not registered or is disabled."},
	"token.role":              {"Välj roll: vårdsystem, handläggare eller administratör.", "Choose a role: clinic, caseworker or admin."},
	"token.scope":             {"En nyckel för ett vårdsystem behöver vårdenheter eller en vårdgivare.", "A clinic token needs units or a care provider."},
	"token.unitsOrProvider":   {"Ange vårdenheter eller en vårdgivare, inte båda.", "Give units or a care provider, not both."},
	"token.scopeNotAllowed":   {"Bara nycklar för vårdsystem hör till vårdenheter eller vårdgivare.", "Only clinic tokens belong to units or a care provider."},
	"token.expiry":            {"Sista giltighetsdagen måste vara i framtiden.", "The expiry must be in the future."},
	"admin.done.userCreated":  {"Kontot är skapat.", "The account was created."},
	"admin.done.userDisabled": {"Kontot är avstängt och personens inloggningar är avslutade.", "The account was disabled and the person's sessions ended."},
	"admin.done.userEnabled":  {"Kontot är aktiverat igen.", "The account was enabled again."},
	"admin.done.unitCreated":  {"Vårdenheten är registrerad.", "The unit was registered."},
	"admin.done.unitDisabled": {"Vårdenheten är avstängd.", "The unit was disabled."},
	"admin.done.unitEnabled":  {"Vårdenheten är aktiverad igen.", "The unit was enabled again."},
	"admin.done.tokenRevoked": {"Nyckeln är återkallad.", "The token was revoked."},
	"admin.errors":            {"Formuläret har fel. Rätta dem och skicka igen.", "The form has errors. Correct them and send it again."},

	// Error pages: a heading and a sentence per HTTP status.
	"page.400":      {"Begäran kunde inte läsas", "The request could not be read"},
	"page.400.text": {"Det som skickades gick inte att tolka. Gå tillbaka och försök igen.", "What was sent could not be read. Go back and try again."},
	"page.401":      {"Du behöver logga in", "You need to sign in"},
	"page.401.text": {"Sidan kräver att du är inloggad.", "This page needs you to be signed in."},
	"page.403":      {"Du har inte behörighet", "You are not allowed here"},
	"page.403.text": {"Din roll ger inte tillgång till den här sidan. Logga in med ett annat konto om du behöver den.", "Your role does not give access to this page. Sign in with another account if you need it."},
	"page.404":      {"Sidan finns inte", "Page not found"},
	"page.404.text": {"Det finns ingenting på den här adressen, eller så har du inte tillgång till det.", "There is nothing at this address, or you have no access to it."},
	"page.405":      {"Fel sorts begäran", "Method not allowed"},
	"page.405.text": {"Sidan kan inte användas på det sättet.", "The page cannot be used that way."},
	"page.409":      {"Uppgifterna krockar", "Conflict"},
	"page.409.text": {"Det du skickade krockar med det som redan är sparat.", "What you sent conflicts with what is already stored."},
	"page.413":      {"För mycket data", "Too much data"},
	"page.413.text": {"Det som skickades är större än vad tjänsten tar emot. Ingenting har sparats.", "What was sent is larger than the service accepts. Nothing was stored."},
	"page.415":      {"Fel format", "Unsupported format"},
	"page.415.text": {"Det som skickades har ett format som tjänsten inte tar emot.", "What was sent is in a format the service does not accept."},
	"page.422":      {"Uppgifterna är inte giltiga", "The data is not valid"},
	"page.422.text": {"Rätta uppgifterna och försök igen.", "Correct the data and try again."},
	"page.429":      {"För många försök", "Too many attempts"},
	"page.429.text": {"Vänta en stund och försök sedan igen.", "Wait a while, then try again."},
	"page.500":      {"Något gick fel", "Something went wrong"},
	"page.500.text": {"Ett oväntat fel inträffade. Ingenting har sparats av det du just gjorde. Försök igen om en stund.", "An unexpected error occurred. Nothing of what you just did was stored. Try again in a while."},
	"page.503":      {"Tjänsten är inte tillgänglig just nu", "The service is unavailable right now"},
	"page.503.text": {"Ingenting har sparats av det du just gjorde. Försök igen om en stund.", "Nothing of what you just did was stored. Try again in a while."},
	"page.back":     {"Till startsidan", "To the start page"},
	"page.return":   {"Tillbaka", "Back"},
	"page.signIn":   {"Logga in", "Sign in"},
}

// SwedishDecimal writes f as a Swedish reader reads a number of days: a
// decimal comma, at most two decimals, no trailing zeros ("10,5", "12").
func SwedishDecimal(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return strings.Replace(s, ".", ",", 1)
}

// Text returns the catalogue's text for key in lang ("en" for English,
// otherwise Swedish), with its %v filled by args in order when the text has
// any; an unknown key gives the key itself, which a test rules out for the
// keys the program uses.
func Text(key, lang string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return fill(m[1], args...)
	}
	if len(args) == 1 {
		return fill(m[0], swedishArg(key, args[0]))
	}
	return fill(m[0], args...)
}

// HasText reports whether the catalogue has key.
func HasText(key string) bool {
	_, ok := messages[key]
	return ok
}

// NewProblem returns a problem at pointer with code, worded by the
// catalogue's text for key (filled with arg).
func NewProblem(pointer, code, key string, arg any) Problem {
	return Problem{Pointer: pointer, Code: code, Message: Text(key, "sv", arg), MessageEn: Text(key, "en", arg)}
}

// problem builds a Problem with its messages; arg fills %v where the message
// has one.
func problem(pointer, code string, arg any) Problem {
	m, ok := messages[code]
	if !ok {
		m = messages["invalid"]
	}
	return Problem{Pointer: pointer, Code: code, Message: fill(m[0], swedishArg(code, arg)), MessageEn: fill(m[1], arg)}
}

// swedishTypes are the JSON types as a Swedish message names them.
var swedishTypes = map[string]string{
	"string": "text", "integer": "ett heltal", "number": "ett tal", "boolean": "sant eller falskt",
	"object": "ett objekt", "array": "en lista", "null": "inget värde",
}

// swedishArg is arg as the Swedish message of key shows it: the JSON
// types a "type" problem expects ("integer", "string / null") in Swedish,
// and a "format" problem's pattern with Swedish letters for the year
// (YYYYMMDD-NNNN as ÅÅÅÅMMDD-NNNN).
func swedishArg(key string, arg any) any {
	s, ok := arg.(string)
	switch {
	case !ok:
		return arg
	case key == "format":
		return strings.ReplaceAll(s, "YYYY", "ÅÅÅÅ")
	case key != "type":
		return arg
	}
	parts := strings.Split(s, " / ")
	for i, p := range parts {
		if sv, ok := swedishTypes[p]; ok {
			parts[i] = sv
		}
	}
	return strings.Join(parts, " eller ")
}

// fillDeclared fills the one %v of a text a template declares
// (schemas.Text.CheckDeclared) with arg. Not fmt's verbs: a declared
// text may hold "%" itself ("100 %").
func fillDeclared(text string, arg any) string {
	if !strings.Contains(text, "%v") {
		return text
	}
	return strings.Replace(text, "%v", fmt.Sprint(arg), 1)
}

// fill fills the %v of format with args; a text with a %v and no args
// shows <nil>, as one given a nil arg does.
func fill(format string, args ...any) string {
	for i := 0; i+1 < len(format); i++ {
		if format[i] == '%' && format[i+1] == 'v' {
			if len(args) == 0 {
				args = []any{nil}
			}
			return fmt.Sprintf(format, args...)
		}
	}
	return format
}
