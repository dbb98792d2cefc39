import ArgumentParser

/// Range checks for numeric options: NaN, infinities and values outside the range are usage
/// errors (exit 2) naming the option, the range and what was given; never a crash or a silent
/// "unlimited".
enum OptionChecks {
    static func check(_ value: Double?, _ option: String, _ range: ClosedRange<Double>, unit: String = "") throws {
        guard let value else { return }
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(option) must be a number from \(format(range.lowerBound)) to \(format(range.upperBound))\(unit) (got \(value))")
        }
    }

    static func check<I: BinaryInteger>(_ value: I?, _ option: String, _ range: ClosedRange<I>, unit: String = "") throws {
        guard let value else { return }
        guard range.contains(value) else {
            throw ValidationError("\(option) must be from \(range.lowerBound) to \(range.upperBound)\(unit) (got \(value))")
        }
    }

    /// A path option that must not be empty.
    static func nonEmpty(_ value: String?, _ option: String) throws {
        if let value, value.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("\(option) must not be empty") }
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
