import Foundation
import Kafka
import Pipeline
import TestSupport
import Testing

/// The declarations compiled into emr are the repository's `topics/` files.
@Suite("Built-in topic declarations")
struct BuiltInTopicsTests {
    @Test("the declarations compiled into emr equal topics/ (run `make builtin-topics` after editing topics/)")
    func builtInEqualsDirectory() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("topics").path
        let files = try TopicCatalog.load(directory: directory).topics
        let builtIn = try BuiltInTopics.catalog().topics
        #expect(builtIn.map(\.name) == files.map(\.name), "run `make builtin-topics`")
        for (compiled, file) in zip(builtIn, files) {
            #expect(compiled.role == file.role && compiled.entity == file.entity && compiled.partitions == file.partitions
                    && compiled.replicationFactor == file.replicationFactor && compiled.configs == file.configs,
                    "\(file.file) differs from the built-in declaration: run `make builtin-topics`")
            #expect(compiled.file.hasPrefix("built-in:"), "errors name the built-in declaration: \(compiled.file)")
        }
        #expect(builtIn.count == 8 && BuiltInTopics.files.count == 8)
    }
}
