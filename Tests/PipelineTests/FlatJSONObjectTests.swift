import Foundation
import TestSupport
@testable import Pipeline
import Staging
import Synthea
import Testing

/// The one-pass parser of message values against Foundation's JSON parser: whatever the fast
/// path accepts, Foundation reads the same; what producers write, the fast path accepts. Keys
/// are random texts and the entity's declared columns (matched by their bytes), in any order.
@Suite("Flat JSON object parser")
struct FlatJSONObjectTests {
    static let alphabet: [String] = ["a", "Z", "0", " ", ",", ":", "{", "}", "[", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{1F}", "é",
                                     "e\u{301}", "€", "😀", "\u{FEFF}", "\u{2028}", "null", "\u{0}"]

    static func randomString(_ random: inout SeededRandom) -> String {
        (0..<random.int(0...12)).map { _ in alphabet[random.int(0...(alphabet.count - 1))] }.joined()
    }

    static func foundation(_ bytes: [UInt8]) -> [String: String]? {
        guard String(validating: bytes, as: UTF8.self) != nil,
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        var fields: [String: String] = [:]
        for (name, value) in object {
            guard let text = value as? String else { return nil }
            fields[name] = text
        }
        return fields
    }

    static func withoutBOM(_ fields: [String: String]) -> [String: String] {
        // By scalar: a U+FEFF followed by a combining mark is one Character with it, which
        // `replacingOccurrences` (Character-based) would not find (seed 9223).
        func strip(_ text: String) -> String { String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\u{FEFF}" })) }
        return Dictionary(fields.map { (strip($0.key), strip($0.value)) }, uniquingKeysWith: { a, _ in a })
    }

    /// The one-pass parser's columns, as a dictionary.
    static func parse(_ bytes: [UInt8], as entity: Entity = .encounters) -> [String: String]? {
        FlatJSONObject.parse(bytes, as: entity)?.columns
    }

    @Test("what producers write is read in one pass, equal to what was written; mutations are never read differently from Foundation")
    func differential() {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        var fastAccepted = 0, mutatedAccepted = 0, declaredRead = 0
        for _ in 0..<3_000 {
            let entity = Entity.allCases[random.int(0...(Entity.allCases.count - 1))]
            let declared = StagingSchema.fields(of: entity).map(\.column)
            let count = random.int(0...8)
            var keys: [String] = []
            // Declared columns in their order (as producers write them) or shuffled, among others.
            let inOrder = random.int(0...1) == 0
            while keys.count < count {
                let key = random.int(0...2) == 0 ? Self.randomString(&random)
                    : inOrder ? declared[min(keys.count, declared.count - 1)] : declared[random.int(0...(declared.count - 1))]
                if !keys.contains(key) { keys.append(key) }
            }
            declaredRead += keys.filter(declared.contains).count
            let values = keys.map { _ in Self.randomString(&random) }
            let bytes = JSONText.object(keys: keys, values: values)
            let expected = Dictionary(uniqueKeysWithValues: zip(keys, values))
            let fast = Self.parse(bytes, as: entity)
            // Keys equal under Unicode canonical equivalence collapse in a Swift dictionary:
            // then the fast path defers to Foundation.
            if Set(keys).count == keys.count {
                #expect(fast == expected, "\(context): \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                if fast != nil { fastAccepted += 1 }
            }
            // A mutated text: insert, delete or replace a byte, or splice in other JSON.
            var mutated = bytes
            switch random.int(0...4) {
            case 0 where !mutated.isEmpty: mutated.remove(at: random.int(0...(mutated.count - 1)))
            case 1: mutated.insert(Array("{}[]\",:\\ 1tfn\u{80}\u{FF}".utf8)[random.int(0...16)], at: random.int(0...mutated.count))
            case 2 where !mutated.isEmpty: mutated[random.int(0...(mutated.count - 1))] = UInt8(truncatingIfNeeded: random.next())
            case 3: mutated = Array(" \(String(decoding: bytes, as: UTF8.self))\n ".utf8)
            default: mutated = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\":\"", with: "\":[\"").utf8)
            }
            if let read = Self.parse(mutated, as: entity) {
                mutatedAccepted += 1
                // Foundation on Linux drops U+FEFF inside strings; JSON (and the fast path) keep
                // it: texts holding one are compared without it where that loses no key.
                let bom = read.contains { $0.key.unicodeScalars.contains("\u{FEFF}") || $0.value.unicodeScalars.contains("\u{FEFF}") }
                let comparable = bom ? Self.withoutBOM(read).count == read.count : true
                if comparable {
                    #expect((bom ? Self.withoutBOM(read) : read) == Self.foundation(mutated).map { bom ? Self.withoutBOM($0) : $0 },
                            "\(context): the fast path read \(String(decoding: mutated, as: UTF8.self).debugDescription) differently")
                }
            }
        }
        #expect(fastAccepted > 2_500 && mutatedAccepted > 100 && declaredRead > 5_000, "\(context): \(fastAccepted) / \(mutatedAccepted) / \(declaredRead)")
        // A declared column's name written with an escape is the same column; twice is refused.
        #expect(Self.parse(Array(#"{"ST\u0041RT":"x","Id":"y"}"#.utf8)) == ["START": "x", "Id": "y"])
        #expect(Self.parse(Array(#"{"START":"x","ST\u0041RT":"y"}"#.utf8)) == nil)
        // U+FEFF is a character like any other (Foundation's parser drops it: a record holding
        // one was staged without it before the fast path).
        #expect(Self.parse(Array("{\"a\":\"\u{FEFF}x\"}".utf8)) == ["a": "\u{FEFF}x"])
        // Escapes the producer never writes, read as JSON says.
        let text = #"{"a":"\u00e9\ud83d\ude00\/\b\f","b":"x"}"#
        #expect(Self.parse(Array(text.utf8)) == ["a": "é😀/\u{8}\u{C}", "b": "x"])
        for refused in [#"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#, #"{"a":1}"#, #"{"a":"b",}"#, #"{"a":"b"}x"#, #"{"a":"b","a":"c"}"#, "{\"a\":\"\u{1}\"}", ""] {
            #expect(Self.parse(Array(refused.utf8)) == nil, "\(refused.debugDescription)")
        }
    }
}
