import Foundation
import Staging
import Synthea
import TestSupport
import Testing

/// Money is written as canonical decimal text straight from the source text; it must equal
/// what Foundation's `Decimal` gave before (parse, then description), and accept and refuse
/// exactly the same texts.
@Suite("Canonical decimal text")
struct CanonicalDecimalTests {
    static func viaFoundation(_ text: String) -> String? {
        FieldParser.decimal(text).map { $0.isZero ? "0" : $0.description }
    }

    @Test("equals Foundation's Decimal on random texts, exponents at the edges of its range, and odd forms")
    func agreesWithFoundation() {
        let seed = ProcessInfo.processInfo.environment["EMR_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...1_000_000)
        var random = SeededRandom(seed: seed)
        var texts = ["0", "-0", "+0", "0.000", ".5", "5.", "-.5", "00012.3400", "1e127", "1e128", "100e126", "1e-128", "1e-129",
                     "0.10e-127", "0e999", "1.5e3", "-2.5E+4", "1.50e-3", "27461.280000000002", "", ".", "-", "1e", "1e1000",
                     "12abc", "1,5", " 1", "1 ", "0x10", "1e+", String(repeating: "9", count: 38), String(repeating: "9", count: 39),
                     "0." + String(repeating: "0", count: 37) + "1"]
        let alphabet = Array("0123456789")
        for _ in 0..<20_000 {
            var text = Bool.random(using: &random) ? "-" : ""
            let count = Int.random(in: 1...40, using: &random)
            var digits = String((0..<count).map { _ in alphabet.randomElement(using: &random)! })
            if Int.random(in: 0..<3, using: &random) == 0 { digits = String(repeating: "0", count: Int.random(in: 1...4, using: &random)) + digits }
            if Int.random(in: 0..<3, using: &random) == 0 { digits += String(repeating: "0", count: Int.random(in: 1...4, using: &random)) }
            let point = Int.random(in: 0...digits.count, using: &random)
            text += Bool.random(using: &random) ? digits : String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if Bool.random(using: &random) { text += (Bool.random(using: &random) ? "e" : "E") + "\(Int.random(in: -170...170, using: &random))" }
            texts.append(text)
        }
        var accepted = 0
        for text in texts {
            let expected = Self.viaFoundation(text)
            let actual = FieldParser.canonicalDecimal(text)
            #expect(actual == expected, "'\(text)': \(actual ?? "refused") vs Foundation \(expected ?? "refused"); seed \(seed) (EMR_TEST_SEED)")
            if actual != nil { accepted += 1 }
        }
        #expect(accepted > 5_000 && accepted < texts.count, "both accepted and refused texts are exercised (\(accepted) of \(texts.count))")
    }
}
