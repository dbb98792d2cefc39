/// An exact decimal held as a whole number of units of 10^-scale: the fast path of the exact
/// decimal SQL functions (``DecimalText``), which add money a few times per encounter of every
/// batch. Parsing and formatting plain decimal text this way allocates nothing, where
/// Foundation's `Decimal` parses a `String` through a locale and formats through its own
/// description.
///
/// It covers values whose units stay below 10^37 with at most 36 digits after the point, where
/// `Decimal` (38 significant digits) is exact too, so both give the same result; anything else
/// (an exponent, more digits, a sum that grows past the bound) is left to `Decimal` by the
/// caller (a nil result). A test compares the two on random sums.
struct ScaledDecimal: Equatable {
    /// The value times 10^scale.
    var units: Int128
    /// Digits after the point (0...``maxScale``).
    var scale: Int

    static let maxScale = 36
    /// Units stay strictly below this in magnitude: 10^37.
    static let bound: Int128 = (0..<37).reduce(1) { power, _ in power * 10 }
    private static let powers: [Int128] = (0...maxScale).map { n in (0..<n).reduce(1) { power, _ in power * 10 } }

    static let zero = ScaledDecimal(units: 0, scale: 0)

    init(units: Int128, scale: Int) {
        self.units = units
        self.scale = scale
    }

    /// Plain decimal text (`-12.50`, `.5`, `5.`, `+3`); nil for anything else, an exponent
    /// included, and for values outside the bounds.
    init?(text b: UnsafeBufferPointer<UInt8>) {
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        var i = 0
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
        var units: Int128 = 0
        var digits = 0
        var scale = 0
        var inFraction = false
        while i < b.count {
            let c = b[i]
            if c >= zero && c <= nine {
                units = units * 10 + Int128(c - zero)
                guard units < Self.bound else { return nil }
                digits += 1
                if inFraction { scale += 1 }
            } else if c == UInt8(ascii: "."), !inFraction {
                inFraction = true
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0, scale <= Self.maxScale else { return nil }
        self.init(units: negative ? -units : units, scale: scale)
    }

    var negated: ScaledDecimal { ScaledDecimal(units: -units, scale: scale) }

    /// The exact sum, nil when it leaves the bounds.
    func adding(_ other: ScaledDecimal) -> ScaledDecimal? {
        let scale = max(self.scale, other.scale)
        guard let a = Self.rescaled(units, by: scale - self.scale), let b = Self.rescaled(other.units, by: scale - other.scale) else { return nil }
        let sum = a + b  // both below 10^37: no overflow of Int128
        guard sum < Self.bound, sum > -Self.bound else { return nil }
        return ScaledDecimal(units: sum, scale: scale)
    }

    private static func rescaled(_ units: Int128, by digits: Int) -> Int128? {
        guard digits > 0 else { return units }
        let (product, overflow) = units.multipliedReportingOverflow(by: powers[digits])
        guard !overflow, product < bound, product > -bound else { return nil }
        return product
    }

    /// Canonical text: plain notation, no trailing zeros after the point, `0` for zero (as
    /// ``DecimalText/canonical(_:)`` writes a `Decimal`), passed to `body` without a `String`.
    func withCanonicalText<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var units = self.units, scale = self.scale
        while scale > 0, units % 10 == 0 { units /= 10; scale -= 1 }
        // At most 37 digits, a sign, a point and a leading zero.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            var end = buffer.count
            func put(_ c: UInt8) { end -= 1; buffer[end] = c }
            var magnitude = units.magnitude
            var written = 0
            repeat {
                if written == scale, scale > 0 { put(UInt8(ascii: ".")) }
                put(UInt8(ascii: "0") + UInt8(magnitude % 10))
                magnitude /= 10
                written += 1
            } while magnitude > 0 || written <= scale
            if units < 0 { put(UInt8(ascii: "-")) }
            return body(UnsafeBufferPointer(rebasing: buffer[end...]))
        }
    }

    /// ``withCanonicalText(_:)`` as a `String`.
    var canonicalText: String { withCanonicalText { String(decoding: $0, as: UTF8.self) } }
}
