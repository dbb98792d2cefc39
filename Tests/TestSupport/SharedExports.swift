import Foundation
import Testing

/// The repository's root, found from this file.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The real Synthea exports beside the repository (`../shared/synthea`), with their record
/// counts as documented in its README.
public enum SharedExports {
    public static let root = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/synthea")

    public static var available: Bool { FileManager.default.fileExists(atPath: root.path) }

    /// Skips (with the reason shown) tests that need the shared exports when they are absent.
    public static let condition = ConditionTrait.enabled(if: available, "../shared/synthea is absent: shared-export tests skipped")

    public static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// name: patients, encounters, conditions, medications, organizations, providers
    public static let counts: [String: [Int]] = [
        "invitae-L2-10p": [10, 427, 114, 141, 23, 23],
        "mcode-L2-115p": [115, 4_402, 1_454, 4_485, 193, 627],
        "ukipop-L2-922p": [922, 10_843, 659, 884, 1_050, 1_052],
        "subratkpadhi-L3b-51p": [51, 910, 887, 974, 175, 175],
        "dverma-L3c-16p": [16, 1_494, 724, 1_072, 61, 61],
        "akaleem-L3c-116p": [116, 5_722, 4_032, 5_607, 286, 286],
    ]

    public static let names = counts.keys.sorted()
}
