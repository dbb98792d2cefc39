/// A CSV file read with its header: rows come back as ``CSVRow`` values that know their
/// columns by name, and every row is checked to have as many fields as the header.
public final class CSVTable {
    public let path: String
    public let header: CSVHeader
    private let reader: CSVReader

    public init(path: String, limits: CSVLimits = CSVLimits()) throws(CSVError) {
        self.path = path
        reader = try CSVReader(path: path, limits: limits)
        guard let first = try reader.next() else {
            throw CSVError(file: path, line: 1, message: "empty file: no header row")
        }
        header = try CSVHeader(first.fields, file: path)
    }

    /// The next data row, or nil at the end. A blank line at the very end is ignored.
    public func next() throws(CSVError) -> CSVRow? {
        guard let line = try next(into: &scratch) else { return nil }
        return CSVRow(header: header, values: scratch.fields, line: line)
    }

    private var scratch = RawFields()

    /// The next data row's fields as bytes into `raw` (see ``RawFields``); its line, or nil at
    /// the end. Checked as ``next()`` checks.
    public func next(into raw: inout RawFields) throws(CSVError) -> Int? {
        while let line = try reader.next(into: &raw) {
            if raw.count == 1 && raw.field(0).isEmpty && header.names.count > 1 {
                continue  // blank line
            }
            guard raw.count == header.names.count else {
                throw CSVError(file: path, line: line,
                               message: "expected \(header.names.count) fields as in the header, found \(raw.count) (truncated or malformed line)")
            }
            return line
        }
        return nil
    }
}

/// Column names of a CSV file and their positions.
public struct CSVHeader: Sendable, Equatable {
    public let names: [String]
    private let index: [String: Int]
    /// The names as JSON object keys, encoded once (a row becomes a JSON object per message).
    public let jsonKeys: JSONText.ObjectKeys

    public init(_ names: [String], file: String) throws(CSVError) {
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            if index[name] != nil { throw CSVError(file: file, line: 1, message: "column \(name) appears twice in the header") }
            index[name] = i
        }
        self.names = names
        self.index = index
        self.jsonKeys = JSONText.ObjectKeys(names)
    }

    public func position(of name: String) -> Int? { index[name] }
    public func contains(_ name: String) -> Bool { index[name] != nil }
}

/// One data row: values in header order, readable by column name.
public struct CSVRow: Sendable {
    public let header: CSVHeader
    public var values: [String]
    /// Physical line the row starts on.
    public let line: Int

    public init(header: CSVHeader, values: [String], line: Int) {
        self.header = header
        self.values = values
        self.line = line
    }

    /// The value of a column; nil when the file has no such column.
    public subscript(_ name: String) -> String? {
        header.position(of: name).map { values[$0] }
    }
}
