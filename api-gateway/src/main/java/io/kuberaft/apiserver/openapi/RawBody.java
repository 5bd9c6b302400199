package io.kuberaft.apiserver.openapi;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.node.POJONode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A {@link JsonNode} that a byte-oriented JSON generator writes out verbatim: lets {@code Reply} (which
 * carries a JsonNode) deliver a non-JSON body such as the protobuf OpenAPI v2 document. The server's
 * encoder writes a reply body with a UTF-8 JSON generator, whose {@code writeRaw(SerializableString)} copies
 * {@link SerializableString#asUnquotedUTF8()} unchanged.
 */
final class RawBody {
    private RawBody() {
    }

    static JsonNode of(byte[] bytes) {
        return new POJONode(new Raw(bytes));
    }

    private record Raw(byte[] bytes) implements JsonSerializable, SerializableString {
        @Override
        public void serialize(JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeRaw(this);
        }

        @Override
        public void serializeWithType(JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer) throws IOException {
            serialize(gen, serializers);
        }

        @Override
        public String getValue() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }

        @Override
        public int charLength() {
            return bytes.length;
        }

        @Override
        public char[] asQuotedChars() {
            return getValue().toCharArray();
        }

        @Override
        public byte[] asUnquotedUTF8() {
            return bytes;
        }

        @Override
        public byte[] asQuotedUTF8() {
            return bytes;
        }

        @Override
        public int appendQuotedUTF8(byte[] buffer, int offset) {
            return -1;
        }

        @Override
        public int appendQuoted(char[] buffer, int offset) {
            return -1;
        }

        @Override
        public int appendUnquotedUTF8(byte[] buffer, int offset) {
            return -1;
        }

        @Override
        public int appendUnquoted(char[] buffer, int offset) {
            return -1;
        }

        @Override
        public int writeQuotedUTF8(OutputStream out) throws IOException {
            out.write(bytes);
            return bytes.length;
        }

        @Override
        public int writeUnquotedUTF8(OutputStream out) throws IOException {
            out.write(bytes);
            return bytes.length;
        }

        @Override
        public int putQuotedUTF8(ByteBuffer buffer) {
            return -1;
        }

        @Override
        public int putUnquotedUTF8(ByteBuffer buffer) {
            return -1;
        }
    }
}
