import Kafka
import Synthea

/// The CloudEvents headers of a message checked in one pass over their bytes, without making
/// strings of them: the common case of ``RecordDecoder/headerReasons(_:entity:)``. It answers
/// only when every header is as spec section 3 wants; anything else (nil) goes to the full
/// check, which names what is wrong.
struct WellFormedHeaders {
    /// `ce_time` in milliseconds since the epoch, nil when the message has none.
    let ceTimeMs: Int64?

    init?(_ headers: [KafkaHeader], entity: Entity) {
        // The last of each name counts (Kafka's convention), as in the full check.
        var specVersion: [UInt8]??, id: [UInt8]??, source: [UInt8]??, type: [UInt8]??, time: [UInt8]??, contentType: [UInt8]??
        for header in headers {
            switch header.name {
            case CloudEventHeader.specVersion: specVersion = .some(header.value)
            case CloudEventHeader.id: id = .some(header.value)
            case CloudEventHeader.source: source = .some(header.value)
            case CloudEventHeader.type: type = .some(header.value)
            case CloudEventHeader.time: time = .some(header.value)
            case CloudEventHeader.contentType: contentType = .some(header.value)
            default: break
            }
        }
        guard let specVersion = specVersion ?? nil, specVersion.elementsEqual("1.0".utf8),
              let type = type ?? nil, type.elementsEqual(entity.rawValue.utf8),
              let id = id ?? nil, Self.isText(id),
              let source = source ?? nil, Self.isText(source) else { return nil }
        if let time {
            guard let bytes = time, let text = UTF8Text.string(bytes), let ms = RecordDecoder.milliseconds(text) else { return nil }
            ceTimeMs = ms
        } else {
            ceTimeMs = nil
        }
        // A null or non-UTF-8 content type is not checked (as in the full check).
        if let contentType = contentType ?? nil, !contentType.starts(with: "application/json".utf8) { return nil }
    }

    /// Non-empty valid UTF-8 (ASCII checked without decoding).
    private static func isText(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && (bytes.allSatisfy { $0 < 0x80 } || UTF8Text.string(bytes) != nil)
    }
}
