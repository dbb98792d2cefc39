/// Exact decimal text straight from its source text, without Foundation's `Decimal`: the
/// canonical form the state file and the exports hold (plain notation, no exponent, no leading
/// zeros, no trailing zeros after the point, `0` for zero, `-` only on non-zero values).
///
/// Accepts exactly what `Decimal(string:)` accepts after ``FieldParser/decimal(_:)``'s syntax
/// check (at most 38 digits, an exponent of at most 3 digits), whose representable values
/// have a written exponent (exponent minus digits after the point) from -128 to 127; a test
/// compares the two on random and edge inputs. Parsing and formatting through `Decimal` were
/// 5 % of the consumer's samples.
enum DecimalCanonicalizer {
    static func canonical(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { canonical(bytes: $0) }
    }

    private static func canonical(bytes b: UnsafeBufferPointer<UInt8>) -> String? {
        let zero = UInt8(ascii: "0")
        func isDigit(_ c: UInt8) -> Bool { c >= zero && c <= UInt8(ascii: "9") }
        var i = 0
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
        var digits: [UInt8] = []
        digits.reserveCapacity(b.count)
        while i < b.count, isDigit(b[i]) { digits.append(b[i]); i += 1 }
        var fractionDigits = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, isDigit(b[i]) { digits.append(b[i]); i += 1; fractionDigits += 1 }
        }
        guard !digits.isEmpty, digits.count <= 38 else { return nil }
        var exponent = 0
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            var exponentNegative = false
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { exponentNegative = b[i] == UInt8(ascii: "-"); i += 1 }
            let start = i
            while i < b.count, isDigit(b[i]) { exponent = exponent * 10 + Int(b[i] - zero); i += 1 }
            guard i > start, i - start <= 3 else { return nil }
            if exponentNegative { exponent = -exponent }
        }
        guard i == b.count else { return nil }
        // value = digits × 10^scale
        let scale = exponent - fractionDigits
        guard (-128...127).contains(scale) else { return nil }
        var first = 0
        while first < digits.count, digits[first] == zero { first += 1 }
        var last = digits.count
        var power = scale
        while last > first, digits[last - 1] == zero { last -= 1; power += 1 }
        if first == last { return "0" }
        let significant = digits[first..<last]
        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        if power >= 0 {
            out += significant
            out += repeatElement(zero, count: power)
        } else {
            let fraction = -power
            let integerCount = significant.count - fraction
            if integerCount > 0 {
                out += significant.prefix(integerCount)
            } else {
                out.append(zero)
            }
            out.append(UInt8(ascii: "."))
            if integerCount < 0 { out += repeatElement(zero, count: -integerCount) }
            out += significant.suffix(min(fraction, significant.count))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
