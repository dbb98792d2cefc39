import Foundation

/// A Synthea CSV export directory: opens each entity's file with its header checked against
/// the entity's schema.
public struct SyntheaExport: Sendable {
    public let directory: String
    /// Longest record and UTF-8 handling of every file.
    public let limits: CSVLimits

    public init(directory: String, limits: CSVLimits = CSVLimits()) throws(CSVError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CSVError(file: directory, line: 0, message: "not a directory")
        }
        self.directory = directory
        self.limits = limits
    }

    public func path(of entity: Entity) -> String {
        (directory as NSString).appendingPathComponent(entity.fileName)
    }

    /// Opens an entity's file; a missing file or required column is an error naming it.
    public func open(_ entity: Entity) throws(CSVError) -> CSVTable {
        let path = path(of: entity)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CSVError(file: path, line: 0, message: "missing \(entity.fileName) in the export")
        }
        let table = try CSVTable(path: path, limits: limits)
        try EntitySchema.of(entity).check(table.header, file: path)
        return table
    }

    /// Calls `body` for every row of an entity's file, in file order.
    public func forEachRow(_ entity: Entity, _ body: (CSVRow) throws -> Void) throws {
        let table = try open(entity)
        while let row = try table.next() {
            try body(row)
        }
    }

    /// Row counts of every entity (a full read of each file).
    public func rowCounts() throws -> [Entity: Int] {
        var counts: [Entity: Int] = [:]
        for entity in Entity.allCases {
            var n = 0
            try forEachRow(entity) { _ in n += 1 }
            counts[entity] = n
        }
        return counts
    }
}
