import Foundation
import Marts
import State
import TestSupport
import Testing

/// The data dictionary covers every mart column, agrees with the state file's declared types,
/// and `docs/marts.md` is its current output.
@Suite("Data dictionary")
struct MartDictionaryTests {
    static let types: Set<String> = ["text", "date", "timestamp", "decimal", "integer", "double"]

    @Test("every column of every mart is documented with a known type, a meaning and a source")
    func complete() {
        for mart in MartCatalog.all {
            #expect(MartDictionary.mart(mart) != nil, "\(mart.name) has no description")
            for column in mart.columns {
                guard let doc = MartDictionary.column(mart, column) else {
                    Issue.record("\(mart.name).\(column) is not in MartDictionary")
                    continue
                }
                #expect(Self.types.contains(doc.type) && !doc.meaning.isEmpty && !doc.source.isEmpty, "\(mart.name).\(column): \(doc)")
            }
        }
    }

    @Test("documented types agree with the columns the state file declares (INTEGER, REAL, TEXT)")
    func typesAgreeWithSchema() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dictionary-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try StateStore(path: path, migrations: MartSchema.migrations)
        for mart in MartCatalog.all {
            let declared = Dictionary(uniqueKeysWithValues: try store.database.prepare("SELECT name, type FROM pragma_table_info(?1)")
                .bind(.text(mart.name)).rows().map { ($0[0].text ?? "", ($0[1].text ?? "").uppercased()) })
            for column in mart.columns {
                let type = MartDictionary.column(mart, column)?.type ?? "?"
                let expected: Set<String> = switch declared[column] {
                case "INTEGER": ["integer"]
                case "REAL": ["double"]
                default: ["text", "date", "timestamp", "decimal"]
                }
                #expect(expected.contains(type), "\(mart.name).\(column): declared \(declared[column] ?? "nothing"), documented \(type)")
            }
        }
    }

    @Test("docs/marts.md is the current output of emr marts describe (make docs)")
    func documentIsCurrent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("docs/marts.md"), encoding: .utf8)
        #expect(committed == MartDictionaryDocument.markdown(), "docs/marts.md is stale: run `make docs`")
        let json = try #require(try JSONSerialization.jsonObject(with: MartDictionaryDocument.json()) as? [String: Any])
        #expect((json["marts"] as? [[String: Any]])?.count == MartCatalog.all.count)
    }
}
