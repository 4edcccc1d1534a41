import KarmayogiCore
import NIOCore

extension ByteBuffer {
    /// `text` as a JSON string, quoted and escaped (`JSONText`).
    mutating func writeJSONString(_ text: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        JSONText.appendString(text, to: &bytes)
        writeBytes(bytes)
    }
}
