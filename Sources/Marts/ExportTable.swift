import State

/// One table as an export writes it: a mart's rows in grain order, under the columns it
/// exports, rewritten on the way out when the export is de-identified.
struct ExportTable {
    let mart: MartDefinition
    /// The exported columns (the mart's, or fewer and one more when de-identified).
    let columns: [String]
    /// SQLite types of columns the mart does not declare (the SQLite export).
    let addedTypes: [String: String]
    /// From the mart's columns (in order) to `columns`.
    let rewrite: (([SQLiteValue]) -> [SQLiteValue])?

    var name: String { mart.name }

    static func plain(_ mart: MartDefinition) -> ExportTable {
        ExportTable(mart: mart, columns: mart.columns, addedTypes: [:], rewrite: nil)
    }

    /// Calls `body` with every row (values in `columns` order); returns the count.
    func forEachRow(in db: SQLiteDatabase, _ body: ([SQLiteValue]) throws -> Void) throws -> Int {
        let statement = try db.prepare(MartExporter.selectSQL(mart))
        let width = mart.columns.count
        var count = 0
        while try statement.step() {
            let values = (0..<width).map { statement.value($0) }
            try body(rewrite.map { $0(values) } ?? values)
            count += 1
        }
        return count
    }
}
