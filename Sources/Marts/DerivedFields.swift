import Foundation

/// Derived fields of spec section 6 that are computed once, when a record becomes current.
public enum DerivedFields {
    /// `ambulatory` -> `Ambulatory`, `urgentcare` -> `Urgentcare`.
    public static func encounterClass(_ raw: String) -> String {
        if let ascii = asciiBytes(raw, { bytes in
            String(unsafeUninitializedCapacity: bytes.count) { out in
                for (i, byte) in bytes.enumerated() {
                    let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
                    out[i] = i == 0 && lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") ? lower - 32 : lower
                }
                return bytes.count
            }
        }) { return ascii }
        return encounterClassByCharacter(raw)
    }

    /// ``encounterClass(_:)`` Character by Character (any text; ASCII goes by bytes, the same).
    static func encounterClassByCharacter(_ raw: String) -> String {
        guard let first = raw.first else { return raw }
        return first.uppercased() + raw.dropFirst().lowercased()
    }

    /// `Hypertension (disorder)` -> (`Hypertension`, `disorder`): when the text ends with `)` and
    /// holds `(`, the type is inside the first pair of parentheses and every parenthesised part
    /// (with the spaces before it) is removed from the description; otherwise the type is empty.
    public static func conditionDescription(_ raw: String) -> (description: String, type: String) {
        asciiBytes(raw, conditionDescription) ?? conditionDescriptionByCharacter(raw)
    }

    /// ``conditionDescription(_:)`` of ASCII text, by bytes: each is a Character (but CR LF,
    /// which is neither a parenthesis nor a space), and the spaces trimmed are space and tab.
    private static func conditionDescription(_ bytes: UnsafeBufferPointer<UInt8>) -> (description: String, type: String) {
        let (open, close, space, tab) = (UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: " "), UInt8(ascii: "\t"))
        func text(_ part: some Collection<UInt8>) -> String { String(decoding: part, as: UTF8.self) }
        guard bytes.last == close, let first = bytes.firstIndex(of: open) else { return (text(bytes), "") }
        let end = bytes[(first + 1)...].firstIndex(of: close) ?? bytes.count - 1
        let type = text(bytes[(first + 1)..<end])
        var description: [UInt8] = []
        description.reserveCapacity(bytes.count)
        var depth = 0
        for byte in bytes {
            if byte == open {
                if depth == 0 { while description.last == space { description.removeLast() } }
                depth += 1
            } else if byte == close && depth > 0 {
                depth -= 1
            } else if depth == 0 {
                description.append(byte)
            }
        }
        var (lower, upper) = (0, description.count)
        while lower < upper, description[lower] == space || description[lower] == tab { lower += 1 }
        while upper > lower, description[upper - 1] == space || description[upper - 1] == tab { upper -= 1 }
        return (text(description[lower..<upper]), type)
    }

    /// ``conditionDescription(_:)`` Character by Character (any text; ASCII goes by bytes, the same).
    static func conditionDescriptionByCharacter(_ raw: String) -> (description: String, type: String) {
        guard raw.hasSuffix(")"), let open = raw.firstIndex(of: "(") else { return (raw, "") }
        let afterOpen = raw.index(after: open)
        let close = raw[afterOpen...].firstIndex(of: ")") ?? raw.index(before: raw.endIndex)
        let type = String(raw[afterOpen..<close])
        var description = ""
        var depth = 0
        for character in raw {
            if character == "(" {
                if depth == 0 { while description.last == " " { description.removeLast() } }
                depth += 1
            } else if character == ")" && depth > 0 {
                depth -= 1
            } else if depth == 0 {
                description.append(character)
            }
        }
        return (description.trimmingCharacters(in: .whitespaces), type)
    }

    /// `body` over the text's bytes when they are all ASCII, else nil.
    private static func asciiBytes<T>(_ raw: String, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        var raw = raw
        return raw.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } ? body(bytes) : nil }
    }

    /// `patient_medication_id`: the MD5 (hex) of the medication's natural key, as dbt's
    /// surrogate keys are, so the same record always gets the same id.
    public static func medicationID(naturalKey: String) -> String {
        MD5.hex(Array(naturalKey.utf8))
    }
}
