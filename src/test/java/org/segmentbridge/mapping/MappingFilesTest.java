package org.segmentbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MappingFilesTest extends MappingTestSupport {

    @Test
    void loadsEveryYamlFileByNameAndIgnoresOtherFiles() {
        write("emarsys-contact.yaml", "fields:\n  - {to: '3', from: $.traits.email}\n");
        write("iterable-user.yaml", "fields: []\n");
        write("README.md", "not a mapping");
        write("old.yml", "not: [valid");
        Mappings mappings = Mappings.load(dir());
        assertThat(mappings.names()).containsExactly("emarsys-contact", "iterable-user");
        assertThat(mappings.has("emarsys-contact")).isTrue();
        assertThat(mappings.has("old")).isFalse();
        assertThat(mappings.get("emarsys-contact").name()).isEqualTo("emarsys-contact");
        assertJson(mappings.get("emarsys-contact").apply(event("{'traits': {'email': 'a@x.io'}}")), "{'3': 'a@x.io'}");
    }

    @Test
    void unknownNameListsTheMappings() {
        write("a.yaml", "fields: []\n");
        write("b.yaml", "fields: []\n");
        Mappings mappings = Mappings.load(dir());
        assertThatThrownBy(() -> mappings.get("x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no mapping 'x'; the mappings are [a, b]");
    }

    @Test
    void aMissingFolderGivesNoMappings() {
        Mappings mappings = Mappings.load(temp.resolve("nowhere"));
        assertThat(mappings.names()).isEmpty();
        assertThat(mappings.has("a")).isFalse();
    }

    @Test
    void theProjectsOwnMappingsFolderLoads() {
        Mappings.load(Path.of("mappings"));
    }

    @Test
    void problemsOfAllFilesAreReportedTogether() {
        write("a.yaml", "fields:\n  - {to: x, from: $.a, type: int}\n");
        write("b.yaml", "fields:\n  - {from: $.a}\n  - {to: y, from: $.b, tranforms: [trim]}\n");
        assertThat(problemsOfFolder()).containsExactly(
                "mappings/a.yaml: fields[0] (to: x): unknown type 'int'; the types are"
                        + " [string, integer, decimal, boolean, date, datetime, enum, object]",
                "mappings/b.yaml: fields[0]: missing 'to'",
                "mappings/b.yaml: fields[1] (to: y): unknown key 'tranforms'");
    }

    @Test
    void invalidYamlIsReportedWithItsLine() {
        assertThat(problems("fields:\n  - to: x\n    from: [$.a\n  - to: y\n")).singleElement().asString()
                .startsWith("mappings/m.yaml: not valid YAML at line 4: ");
    }

    @Test
    void duplicateYamlKeysAreInvalidYaml() {
        assertThat(problems("fields:\n  - to: x\n    from: $.a\n    from: $.b\n")).singleElement().asString()
                .startsWith("mappings/m.yaml: not valid YAML at line 4: Duplicate field 'from'");
    }

    @Test
    void theTopLevelMustBeAMappingWithAFieldsList() {
        assertThat(problems("- to: x\n")).containsExactly("mappings/m.yaml: the top level must be a mapping with 'fields'");
        assertThat(problems("")).containsExactly("mappings/m.yaml: the top level must be a mapping with 'fields'");
        assertThat(problems("fields: {to: x}\n")).containsExactly("mappings/m.yaml: 'fields' must be a list");
        assertThat(problems("passthrough: {from: $.traits}\n")).containsExactly("mappings/m.yaml: missing 'fields'");
        assertThat(problems("fields: []\nfeilds: []\n")).containsExactly("mappings/m.yaml: unknown key 'feilds'");
        assertThat(problems("fields:\n  - just text\n"))
                .containsExactly("mappings/m.yaml: fields[0]: an entry must be a mapping with 'to' and 'from' or 'value'");
    }

    @Test
    void everyEntryProblemIsReportedOnItsOwnLine() {
        assertThat(problems("""
                fields:
                  - {from: $.a}
                  - {to: b}
                  - {to: c, from: $.c, value: x}
                  - {to: d, from: $.d, tranforms: [trim]}
                  - {to: e, from: $.e, type: int}
                  - {to: f, from: $.f, transforms: [lower]}
                  - {to: g, from: "$.traits first name"}
                  - {to: h, from: $.h, type: enum}
                  - {to: i, from: $.i, type: date, format: "yyyy-MM-dd bb"}
                  - {to: j, from: $.j, transforms: [{multiply: abc}]}
                  - {to: c, value: again}
                  - {to: k, from: traits.k}
                """)).containsExactly(
                "mappings/m.yaml: fields[0]: missing 'to'",
                "mappings/m.yaml: fields[1] (to: b): missing 'from' (a JSONPath) or 'value' (a constant)",
                "mappings/m.yaml: fields[2] (to: c): has both 'from' and 'value'; use one",
                "mappings/m.yaml: fields[3] (to: d): unknown key 'tranforms'",
                "mappings/m.yaml: fields[4] (to: e): unknown type 'int'; the types are"
                        + " [string, integer, decimal, boolean, date, datetime, enum, object]",
                "mappings/m.yaml: fields[5] (to: f): unknown transform 'lower'; the transforms are"
                        + " [trim, lowercase, uppercase, snake_case, flatten, multiply, join]",
                "mappings/m.yaml: fields[6] (to: g): bad JSONPath '$.traits first name':"
                        + " Use bracket notion ['my prop'] if your property contains blank characters. position: 2",
                "mappings/m.yaml: fields[7] (to: h): type enum needs 'values', e.g. {\"true\": \"1\", \"false\": \"2\"}",
                "mappings/m.yaml: fields[8] (to: i): bad format 'yyyy-MM-dd bb': Unknown pattern letter: b",
                "mappings/m.yaml: fields[9] (to: j): multiply needs a number, got 'abc'",
                "mappings/m.yaml: fields[10] (to: c): duplicate 'to' c, also in fields[2]",
                "mappings/m.yaml: fields[11] (to: k): bad JSONPath 'traits.k': it must start with '$'");
    }

    @Test
    void aNumericTargetIsText() {
        assertThat(problems("fields:\n  - {to: 3, from: $.a}\n  - {to: \"3\", from: $.b}\n"))
                .containsExactly("mappings/m.yaml: fields[1] (to: 3): duplicate 'to' 3, also in fields[0]");
    }

    @Test
    void keysThatOnlyMakeSenseForSomeTypesAreChecked() {
        assertThat(problems("""
                fields:
                  - {to: a, from: $.a, values: {x: y}}
                  - {to: b, from: $.b, format: "yyyy"}
                  - {to: c, from: $.c, type: datetime, zone: Mars/Base}
                  - {to: d, from: $.d, type: date, format: "HH:mm"}
                  - {to: e, from: $.e, type: enum, values: [x]}
                  - {to: f, from: $.f, required: "yes please"}
                """)).containsExactly(
                "mappings/m.yaml: fields[0] (to: a): 'values' is only for type enum",
                "mappings/m.yaml: fields[1] (to: b): 'format' is only for types date and datetime",
                "mappings/m.yaml: fields[2] (to: c): unknown zone 'Mars/Base'",
                "mappings/m.yaml: fields[3] (to: d): bad format 'HH:mm': Unsupported field: HourOfDay",
                "mappings/m.yaml: fields[4] (to: e): 'values' must be a mapping of input text to output value",
                "mappings/m.yaml: fields[5] (to: f): 'required' must be true or false");
    }

    @Test
    void transformsAndConditionsAreChecked() {
        assertThat(problems("""
                fields:
                  - {to: a, from: $.a, transforms: trim}
                  - {to: b, from: $.b, transforms: [multiply]}
                  - {to: c, from: $.c, transforms: [{join: ","}, {join: ";"}]}
                  - {to: d, from: $.d, when: {path: $.d}}
                  - {to: e, from: $.e, when: {path: $.e, in: x}}
                  - {to: f, from: $.f, when: "$.f.."}
                """)).containsExactly(
                "mappings/m.yaml: fields[0] (to: a): 'transforms' must be a list, e.g. [trim, lowercase]",
                "mappings/m.yaml: fields[1] (to: b): transform 'multiply' needs an argument, e.g. {multiply: 100}",
                "mappings/m.yaml: fields[2] (to: c): only one join per field",
                "mappings/m.yaml: fields[3] (to: d): 'when' must be a JSONPath or {path: ..., equals: ...} or {path: ..., in: [...]}",
                "mappings/m.yaml: fields[4] (to: e): 'when' 'in' must be a list",
                "mappings/m.yaml: fields[5] (to: f): bad JSONPath '$.f..': Path must not end with a '.' or '..'");
    }

    @Test
    void passthroughProblemsArePrefixedWithPassthrough() {
        assertThat(problems("""
                fields: []
                passthrough:
                  from: $.traits[*]
                  excepts: [email]
                  transforms: [lowercase]
                """)).containsExactly(
                "mappings/m.yaml: passthrough: unknown key 'excepts'",
                "mappings/m.yaml: passthrough: 'from' must point to one object, not a wildcard path",
                "mappings/m.yaml: passthrough: unknown transform 'lowercase'; passthrough transforms are [snake_case, flatten]");
        assertThat(problems("fields: []\npassthrough: {prefix: x_}\n"))
                .containsExactly("mappings/m.yaml: passthrough: missing 'from' (the JSONPath of an object)");
    }
}
