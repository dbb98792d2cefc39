import Foundation
import Marts
import State
import TestSupport
import Testing

/// The data dictionary covers every mart column (its types are the declarations', which
/// ``MartDeclarationTests`` holds against the state file), and `docs/marts.md` is its current output.
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

    @Test("docs/marts.md is the current output of emr marts describe (make docs)")
    func documentIsCurrent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("docs/marts.md"), encoding: .utf8)
        #expect(committed == MartDictionaryDocument.markdown(), "docs/marts.md is stale: run `make docs`")
        let json = try #require(try JSONSerialization.jsonObject(with: MartDictionaryDocument.json()) as? [String: Any])
        #expect((json["marts"] as? [[String: Any]])?.count == MartCatalog.all.count)
    }
}
