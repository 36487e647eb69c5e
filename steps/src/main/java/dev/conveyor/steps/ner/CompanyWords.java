package dev.conveyor.steps.ner;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The fixed word lists of the company rules. */
final class CompanyWords {
  private CompanyWords() {}

  /**
   * A legal form written in Latin letters.
   *
   * @param comma whether ", " may stand between the name and the form ("Free Software Foundation,
   *     Inc.")
   * @param word a form that is also an ordinary word (Company, Limited): it ends a name only when
   *     no capitalised word follows it ("Acme Company Store" is no company)
   * @param afterAnd whether "&" or "and" may be the last word before it ("Smith & Co."): the forms
   *     that start with "Co"
   */
  record LatinForm(String text, int[] codePoints, boolean comma, boolean word, boolean afterAnd) {}

  /**
   * A legal form written without spaces (Chinese, Japanese).
   *
   * @param prefix whether it may also come before the name ("株式会社東芝")
   */
  record CjkForm(String text, int[] codePoints, boolean prefix) {}

  private static final Set<String> WORD_FORMS =
      Set.of(
          "Company",
          "COMPANY",
          "Corporation",
          "CORPORATION",
          "Incorporated",
          "Limited",
          "LIMITED",
          "Company Limited",
          "Corporation Limited");

  private static final Set<String> NO_COMMA =
      Set.of(
          "Company",
          "COMPANY",
          "Corporation",
          "CORPORATION",
          "Company Limited",
          "Corporation Limited");

  /** Longest first, so that "Co., Ltd." wins over "Co." at the same place. */
  static final List<LatinForm> LATIN_FORMS =
      Stream.of(
              """
              GmbH & Co. KGaA|GmbH & Co. KG|GmbH & Co KG|AG & Co. KGaA|AG & Co. KG|Co., Ltd.|Co., Ltd|\
              Co.,Ltd.|Co.,Ltd|Co. Ltd.|Co. Ltd|Co. Inc.|Co. LLC|Pty. Ltd.|Pty Ltd.|Pty Ltd|S.A. de C.V.|\
              S.A.B. de C.V.|S. de R.L. de C.V.|Company Limited|Corporation Limited|\
              Inc.|Inc|INC.|INC|Incorporated|Ltd.|Ltd|LTD.|LTD|Limited|LIMITED|LLC|L.L.C.|LLP|L.L.P.|\
              L.P.|LP|GmbH|gGmbH|AG|KGaA|KG|Corp.|Corp|CORP.|CORP|Corporation|CORPORATION|Co.|CO.|\
              Company|COMPANY|S.A.|SA|S.p.A.|SpA|S.r.l.|Srl|S.L.|S.A.S.|SAS|SARL|S.à r.l.|B.V.|BV|\
              N.V.|NV|plc|PLC|p.l.c.|Oy|Oyj|AB|K.K.|SE|A/S|ASA|Ltda.|Ltda\
              """
                  .split("\\|"))
          .map(text ->
              new LatinForm(
                  text,
                  text.codePoints().toArray(),
                  !NO_COMMA.contains(text),
                  WORD_FORMS.contains(text),
                  text.startsWith("Co") || text.startsWith("CO")))
          .sorted(Comparator.comparingInt((LatinForm f) -> -f.codePoints().length))
          .toList();

  static final List<CjkForm> CJK_FORMS =
      Stream.of(
              new CjkForm("股份有限公司", "股份有限公司".codePoints().toArray(), false),
              new CjkForm("有限责任公司", "有限责任公司".codePoints().toArray(), false),
              new CjkForm("有限責任公司", "有限責任公司".codePoints().toArray(), false),
              new CjkForm("有限公司", "有限公司".codePoints().toArray(), false),
              new CjkForm("株式会社", "株式会社".codePoints().toArray(), true),
              new CjkForm("有限会社", "有限会社".codePoints().toArray(), true),
              new CjkForm("合同会社", "合同会社".codePoints().toArray(), true))
          .sorted(Comparator.comparingInt((CjkForm f) -> -f.codePoints().length))
          .toList();

  /** Lowercase words (and "&") that may stand inside a name: "Bank of America Corp.". */
  static final Set<String> CONNECTORS =
      words(
          "& and of for de du des la le di del della y e et und für van von der den da do dos das");

  /**
   * Capitalised words that do not start a name: articles, prepositions, pronouns and adverbs that
   * begin sentences (English, German, French, Spanish, Italian, Dutch), months and days, and some
   * nouns that stand before company names ("Shares of", "Die Firma"). Trimmed from the front of a
   * name, with the connectors and numbers after them.
   */
  static final Set<String> LEADING_STOPS =
      words(
          """
          The A An This That These Those In On At By For From With To Of As After Before During
          Since Until When While If But And Or So Then Also However Meanwhile Yesterday Today
          Tomorrow Last Next Our Their His Her Its My Your We They He She It I Both Each Every Many
          Most Some Several All According Unlike Like Under Over Between Among Against Through
          Without Via Per Dear Why What How Where Who Which Although Because Though Once Only Even
          Former Rival Rivals Shares Stock Analysts Investors Officials Sources Employees Customers
          Workers Executives Reports Sales Is Was Are Were Will Would Can Could Should Did Does Do
          Has Have Had Here There Now Thus Hence Still Yet Just Not No Yes Please Thanks Hi Hello
          January February March April May June July August September October November December
          Monday Tuesday Wednesday Thursday Friday Saturday Sunday CEO CFO CTO COO Chairman Chief
          President U.S. U.K. E.U.
          Der Die Das Den Dem Des Ein Eine Einen Einem Einer Und Oder Aber Im Am Beim Vom Zum Zur
          Bei Mit Von Nach Für Auf Aus Laut Gestern Heute Morgen Auch Seit Wie Als Wenn Dass Bis
          Unter Über Gegen Durch Ohne Zwischen Wegen Trotz Firma Unternehmen Konzern Tochter
          Tochtergesellschaft Hersteller Autobauer Chef Vorstand Aktie Aktien Mitarbeiter Ist War
          Hat Wird Sagte Er Sie Es Wir
          Le La Les Un Une Du Au Aux Et Ou Mais Dans Par Pour Avec Sans Sur Sous Chez Selon Hier
          Demain Depuis Après Avant Pendant Lors Quand Si Ce Cette Ces Son Sa Ses Leur Leurs Notre
          Nos Votre Il Elle Ils Elles Nous Vous Est
          El Los Las Una Y O Pero En Con Por Para Sin Sobre Según Desde Hasta Tras Ayer Hoy Mañana
          Cuando Este Esta Estos Estas Su Sus Nuestro Nuestra Al Lo Fue Ha
          Gli Uno E Ma Tra Fra Nel Nella Dal Ieri Oggi Domani Secondo Dopo Prima Se Questo
          Questa
          Het Een Maar Op Met Voor Naar Uit Gisteren Vandaag Volgens Na Toen
          """);

  /** Characters that end a Chinese name run: particles, pronouns and the like. */
  static final Set<Integer> CJK_STOP_CHARS =
      "的是在与及了由从向对把被将于据称而也就又但并我你他她它们这那其该让给说等或跟"
          .codePoints()
          .boxed()
          .collect(Collectors.toUnmodifiableSet());

  /**
   * Words stripped from the front of a CJK name run, as code points, longest first: times, and
   * verbs that introduce a name.
   */
  static final List<int[]> CJK_LEADING_WORDS =
      Stream.of(
              """
              昨天 今天 明天 昨日 今日 本日 明日 先日 去年 今年 明年 昨年 来年 目前 近日 日前 此前 随后 近期 上周
              本周 下周 最近 当天 同日 同年 据悉 宣布 收购 成立 投资 起诉 加入 离开 表示 认为 声称 报道 位于 来自
              旗下 合作 签约 创立 创办 成为 包括 其中 以及 还有 同社 当社 弊社 御社 貴社
              """
                  .strip()
                  .split("\\s+"))
          .map(w -> w.codePoints().toArray())
          .sorted(Comparator.comparingInt((int[] w) -> -w.length))
          .toList();

  private static Set<String> words(String text) {
    return Set.of(text.strip().split("\\s+"));
  }
}
