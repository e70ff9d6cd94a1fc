import Foundation

/// The quantities the monitoring and notification sections are written in — shares (`20%`,
/// `0.2`), byte sizes (`500G`), durations (`30m`, and `0` for "at once") — read, and spelled back
/// for `config show` so that what it prints reads back as the same value.
enum Quantities {
    /// `N%` (0 < N ≤ 100) or a fraction 0 < F ≤ 1, as a fraction.
    static func share(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let fraction: Double?
        if trimmed.hasSuffix("%") {
            fraction = finite(String(trimmed.dropLast())).map { $0 / 100 }
        } else {
            fraction = finite(trimmed)
        }
        guard let fraction, fraction > 0, fraction <= 1 else { return nil }
        return fraction
    }

    static let shareGrammar = "N% (0 < N ≤ 100) or a fraction above 0 and at most 1 (0.2)"

    /// A whole percentage when that reads back exactly (`20%`), else the fraction itself.
    static func shareValue(_ fraction: Double) -> ConfigValue {
        let percent = (fraction * 100).rounded()
        return percent / 100 == fraction ? .string("\(Int(percent))%") : .number(fraction)
    }

    static func shareSpelling(_ fraction: Double) -> String {
        if case .string(let percent) = shareValue(fraction) { return percent }
        return String(fraction)
    }

    /// A number such as 1.5 or 30; not NaN or infinite (`Double` would read "nan" and "inf").
    static func finite(_ text: String) -> Double? {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
        return value
    }

    /// A whole number as an integer (`30`, not `30.0`), anything else as a number.
    static func numberValue(_ value: Double) -> ConfigValue {
        isWhole(value) ? .integer(Int(value)) : .number(value)
    }

    static func numberSpelling(_ value: Double) -> String { isWhole(value) ? String(Int(value)) : String(value) }

    private static func isWhole(_ value: Double) -> Bool { value.rounded() == value && abs(value) < 1e15 }

    /// `500`, `10K`, `10M`, `500G`, `2T`, `1P`: binary multiples with an optional `B` or `iB`, the
    /// grammar of `--exclude-larger-than` (SiloEngine's `ByteSize`, which this layer cannot import).
    static func byteCount(_ text: String) -> UInt64? {
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
            digits.removeLast(suffix.count)
            break
        }
        var multiplier: UInt64 = 1
        if let last = digits.last, let power = byteUnits.firstIndex(of: last) {
            multiplier = 1 << (10 * UInt64(power + 1))
            digits.removeLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt64(digits) else { return nil }
        let (value, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : value
    }

    static let byteGrammar = "a number of bytes, optionally with K, M, G, T or P (binary: 1G = 1024³ bytes)"
    private static let byteUnits: [Character] = ["K", "M", "G", "T", "P"]

    /// The largest unit that divides `bytes` exactly (`500G`), so that it reads back the same.
    static func byteSpelling(_ bytes: UInt64) -> String {
        for (index, unit) in byteUnits.enumerated().reversed() {
            let size = UInt64(1) << (10 * UInt64(index + 1))
            if bytes >= size, bytes % size == 0 { return "\(bytes / size)\(unit)" }
        }
        return String(bytes)
    }

    /// A duration as `Cadence.duration` reads it, or `0` (`tiers[].after`: at once) when `allowZero`.
    static func duration(_ text: String, allowZero: Bool) -> Duration? {
        if allowZero, text == "0" || (text.count > 1 && text.dropLast().allSatisfy { $0 == "0" } && "smhdw".contains(text.last!)) { return .zero }
        return Cadence.duration(text)
    }

    /// The largest unit that divides the duration exactly (`2d`, `36h`); `0` for none.
    static func durationSpelling(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds == 0 { return "0" }
        for (unit, size) in [("w", Int64(7 * 86_400)), ("d", 86_400), ("h", 3_600), ("m", 60)] where seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
