import Foundation
import KarmayogiCore

/// Numbers and dates as a reader of the page's language expects them: digits grouped the Indian way (1,50,000) in
/// both languages, month names from the catalogue, times in India's time zone.
enum Formats {
    static let india = TimeZone(identifier: "Asia/Kolkata")!

    static func number(_ value: Int) -> String { grouped(value) }

    /// Whole numbers grouped, anything else to one decimal place.
    static func number(_ value: Double) -> String {
        if value.rounded() != value || abs(value) < 1 && value != 0 { return decimal(value) }
        return grouped(Int(value))
    }

    static func decimal(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        let whole = Int(tenths.magnitude.rounded(.down))
        let fraction = Int(((tenths.magnitude - Double(whole)) * 10).rounded())
        return (tenths < 0 ? "-" : "") + grouped(whole) + "." + String(fraction)
    }

    /// A measure to a tenth, without a needless ".0": 64.2, 300, 12,034.4.
    static func tenths(_ value: Double) -> String {
        let text = decimal(value)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// A number someone typed, shown as they would write it: 42 (not 42.0), 3.25, -0.5.
    static func entered(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    static func grouped(_ value: Int) -> String {
        var digits = String(value.magnitude)
        var grouped = ""
        if digits.count > 3 {
            grouped = "," + digits.suffix(3)
            digits.removeLast(3)
            while digits.count > 2 {
                grouped = "," + digits.suffix(2) + grouped
                digits.removeLast(2)
            }
        }
        return (value < 0 ? "-" : "") + digits + grouped
    }

    /// A content language by its own name: हिन्दी, தமிழ், English.
    static func language(_ code: String) -> String {
        Language.all.first { $0.code == code }?.nativeName ?? code
    }

    /// "5 December 2026" or "5 दिसंबर 2026", the day in India.
    static func date(_ date: Date, _ t: Catalogue) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = india
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return day(year: parts.year!, month: parts.month!, day: parts.day!, t)
    }

    static func day(year: Int, month: Int, day: Int, _ t: Catalogue) -> String {
        "\(day) \(t("month.\(month)")) \(year)"
    }

    /// "14:05 IST" — a time of day in India, for deadlines.
    static func time(_ date: Date, _ t: Catalogue) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = india
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d", parts.hour!, parts.minute!) + " " + t("time.india")
    }

    /// RFC 3339 in UTC, as the API writes times ("2026-12-05T08:35:00Z").
    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    /// An RFC 3339 time, with or without fractions of a second.
    static func instant(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// A time in a sheet or a form: RFC 3339 ("2026-12-05T14:05:00+05:30"), or "YYYY-MM-DD HH:MM" / "YYYY-MM-DDTHH:MM"
    /// read in IST (what a person in India types and what a browser's datetime-local field sends).
    static func sheetTime(_ text: String) -> Date? {
        let text = text.trimmed
        if let date = instant(text) { return date }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard parts.count == 2, let day = IndiaDay.parse(String(parts[0])) else { return nil }
        let clock = parts[1].split(separator: ":")
        guard (2...3).contains(clock.count), clock.allSatisfy({ $0.count == 2 }), let hour = Int(clock[0]), let minute = Int(clock[1]),
              (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        let second = clock.count == 3 ? Int(clock[2]) ?? 0 : 0
        return IndiaDay.start(day).addingTimeInterval(TimeInterval(hour * 3600 + minute * 60 + second))
    }

    /// "5 December 2026, 14:05 IST".
    static func moment(_ date: Date, _ t: Catalogue) -> String { "\(Self.date(date, t)), \(time(date, t))" }
}
