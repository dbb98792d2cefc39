import Foundation

/// Derived fields of spec section 6 that are computed once, when a record becomes current.
public enum DerivedFields {
    /// `ambulatory` -> `Ambulatory`, `urgentcare` -> `Urgentcare`.
    public static func encounterClass(_ raw: String) -> String {
        guard let first = raw.first else { return raw }
        return first.uppercased() + raw.dropFirst().lowercased()
    }

    /// `Hypertension (disorder)` -> (`Hypertension`, `disorder`): when the text ends with `)` and
    /// holds `(`, the type is inside the first pair of parentheses and every parenthesised part
    /// (with the spaces before it) is removed from the description; otherwise the type is empty.
    public static func conditionDescription(_ raw: String) -> (description: String, type: String) {
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

    /// `patient_medication_id`: the MD5 (hex) of the medication's natural key, as dbt's
    /// surrogate keys are, so the same record always gets the same id.
    public static func medicationID(naturalKey: String) -> String {
        MD5.hex(Array(naturalKey.utf8))
    }
}
