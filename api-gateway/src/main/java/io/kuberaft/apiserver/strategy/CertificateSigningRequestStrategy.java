package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.auth.RequestUser;
import io.kuberaft.apiserver.auth.UserInfo;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * certificates.k8s.io/v1 CertificateSigningRequest, as upstream's strategy: the requester's identity (username, uid,
 * groups, extra) is recorded at create from who sends it, never from the body; the spec is immutable; the main endpoint
 * changes neither status nor approval, the {@code status} subresource keeps the Approved/Denied conditions (only the
 * {@code approval} subresource, {@code kubectl certificate approve|deny}, sets those); validation as
 * ValidateCertificateSigningRequest (a PEM "CERTIFICATE REQUEST", a qualified signerName, known usages, expirationSeconds
 * of at least 600, Approved and Denied mutually exclusive).
 */
public final class CertificateSigningRequestStrategy extends DefaultStrategy {
    static final List<String> USAGES = List.of("signing", "digital signature", "content commitment", "key encipherment",
            "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
            "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel",
            "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc");
    /** The conditions only the approval subresource sets. */
    public static final List<String> APPROVAL = List.of("Approved", "Denied");

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        super.prepareForCreate(def, obj);
        ObjectNode spec = Json.obj(obj, "spec");
        for (String f : List.of("username", "uid", "groups", "extra")) {
            spec.remove(f);
        }
        UserInfo user = RequestUser.current();
        if (user != null) {
            spec.put("username", user.name());
            if (user.uid() != null && !user.uid().isEmpty()) {
                spec.put("uid", user.uid());
            }
            ArrayNode groups = spec.putArray("groups");
            user.groups().forEach(groups::add);
            if (user.extra() != null && !user.extra().isEmpty()) {
                ObjectNode extra = spec.putObject("extra");
                user.extra().forEach((k, v) -> {
                    ArrayNode a = extra.putArray(k);
                    v.forEach(a::add);
                });
            }
        }
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        // the main endpoint changes metadata only
        restore(obj, old, "spec");
        restore(obj, old, "status");
    }

    @Override
    public void prepareForStatusUpdate(ObjectNode next, ObjectNode requested, ObjectNode old) {
        // approval is the approval subresource's: the stored Approved/Denied conditions stay, the request's are dropped
        // (next's status may be the request's own node: read the request before replacing the list)
        JsonNode asked = requested.path("status").path("conditions").deepCopy();
        ObjectNode status = Json.obj(next, "status");
        ArrayNode conditions = status.putArray("conditions");
        old.path("status").path("conditions").forEach(c -> {
            if (APPROVAL.contains(c.path("type").asText())) {
                conditions.add(c.deepCopy());
            }
        });
        asked.forEach(c -> {
            if (!APPROVAL.contains(c.path("type").asText())) {
                conditions.add(c.deepCopy());
            }
        });
    }

    private static void restore(ObjectNode obj, ObjectNode old, String field) {
        if (old.has(field)) {
            obj.set(field, old.get(field).deepCopy());
        } else {
            obj.remove(field);
        }
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode spec = obj.path("spec");
        String request = spec.path("request").asText("");
        if (request.isEmpty()) {
            out.add(Fields.required("spec.request"));
        } else if (parse(request) == null) {
            out.add(Fields.invalidRendered("spec.request", "[]byte{...}", "PEM block type must be CERTIFICATE REQUEST"));
        }
        String signer = spec.path("signerName").asText("");
        if (signer.isEmpty()) {
            out.add(Fields.required("spec.signerName"));
        } else {
            out.addAll(Fields.qualifiedName("spec.signerName", signer));
        }
        JsonNode usages = spec.path("usages");
        if (usages.size() == 0) {
            out.add(Fields.required("spec.usages"));
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < usages.size(); i++) {
            String u = usages.get(i).asText();
            if (!USAGES.contains(u)) {
                out.add(Fields.notSupported(Fields.index("spec.usages", i), u, USAGES));
            } else if (!seen.add(u)) {
                out.add(Fields.duplicate(Fields.index("spec.usages", i), u));
            }
        }
        JsonNode exp = spec.path("expirationSeconds");
        if (exp.isNumber() && exp.asLong() < 600) {
            out.add(Fields.invalid("spec.expirationSeconds", exp, "may not specify a duration less than 600 seconds (10 minutes)"));
        }
        out.addAll(validateStatus(obj));
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        return validateStatus(obj);
    }

    public static List<Cause> validateStatus(ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode conds = obj.path("status").path("conditions");
        Set<String> types = new HashSet<>();
        for (int i = 0; i < conds.size(); i++) {
            String p = Fields.index("status.conditions", i);
            String type = conds.get(i).path("type").asText("");
            if (type.isEmpty()) {
                out.add(Fields.required(p + ".type"));
            } else if (!types.add(type) && (APPROVAL.contains(type) || type.equals("Failed"))) {
                out.add(Fields.duplicate(p + ".type", type));
            }
            String status = conds.get(i).path("status").asText("");
            if (!List.of("True", "False", "Unknown").contains(status)) {
                out.add(Fields.notSupported(p + ".status", status, List.of("False", "True", "Unknown")));
            }
            if (type.equals("Denied") && types.contains("Approved") || type.equals("Approved") && types.contains("Denied")) {
                out.add(Fields.invalid(p + ".type", type, "Approved and Denied conditions are mutually exclusive"));
            }
        }
        String cert = obj.path("status").path("certificate").asText("");
        if (!cert.isEmpty() && !decodes(cert).contains("-----BEGIN CERTIFICATE-----")) {
            out.add(Fields.invalidRendered("status.certificate", "\"<certificate data>\"", "must contain at least one CERTIFICATE PEM block"));
        }
        return out;
    }

    private static String decodes(String base64) {
        try {
            return new String(Base64.getDecoder().decode(base64), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    /** The PKCS#10 request in {@code spec.request} (base64 of PEM, as []byte in JSON), or null. */
    public static PKCS10CertificationRequest parse(String base64Pem) {
        try {
            String pem = new String(Base64.getDecoder().decode(base64Pem), java.nio.charset.StandardCharsets.UTF_8);
            Object o = new PEMParser(new StringReader(pem)).readObject();
            return o instanceof PKCS10CertificationRequest r ? r : null;
        } catch (Exception e) {
            return null;
        }
    }
}
