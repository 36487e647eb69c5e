package dev.conveyor.steps.ner;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fixed word lists of the person rules (the first names come from the resource). {@code
 * deploy/pipelines/steps/person.py} holds the same lists; {@code PersonAgreementTest} checks that
 * they are equal.
 */
final class PersonWords {
  private PersonWords() {}

  /** Lowercase name particles: between the first name and a surname ("Ludwig van Beethoven"). */
  static final Set<String> PARTICLES =
      words(
          """
          van von de der den da di du del della delle dei degli des le la bin ibn bint ter ten dos
          das do zu af av
          """);

  /** Capitalised particles ("Robert De Niro", "Ursula K. Le Guin", "Dick Van Dyke"). */
  static final Set<String> CAPITAL_PARTICLES =
      words("Van Von De Di Da Du Del Della Dei Degli Le La Ter Ten Dos");

  /** Lowercase prefixes of a surname written as one word with it ("al-Hassan", "d'Alembert"). */
  static final List<String> SURNAME_PREFIXES = List.of("al-", "el-", "d'", "d\u2019");

  /** Words before a first name that make it part of a place name ("San Francisco", "St. Paul"). */
  static final Set<String> SAINTS =
      words("Saint St San Santa Santo S\u00e3o Sankt Sainte Ste Sint");

  /**
   * Capitalised words that are never a surname: function words (of the languages of the examples),
   * months and days, legal forms and organisation words, place nouns, places, nationalities,
   * titles. Left out on purpose, because they are also common surnames: May, Will, Said, Hall,
   * Park, Lane, Lake, Bay, Court, Temple, King, Major, Prince, Lord, Duke, Pope, Bishop, Judge,
   * West, French, Welsh, Post, Lima, Little, Saint, Hoy, Ma, Su, Na, Lo, Dalla.
   */
  static final Set<String> NOT_SURNAMES =
      words(
          """
          The An And Or But Nor So Yet If Then Than When While Where What Who Whom Whose Which Why
          How That This These Those There Here He She It We They You Me Him Her Us Them His Its Our
          Their Your My In On At By For From To Of With Without About After Before During Since
          Until Into Onto Over Under Is Are Was Were Be Been Has Have Had Do Does Did Would Can
          Could Shall Should Might Must Not No Yes All Any Each Every Some Also Says Told Asked Today
          Yesterday Tomorrow Tonight Now However Meanwhile Please Thanks Dear Hi Hello Both Via Per
          Like Unlike
          Der Die Das Dem Des Ein Eine Einen Einem Einer Und Oder Aber Im Am Beim Vom Zum Zur Bei
          Mit Nach Für Auf Aus Ist Sind War Hat Haben Wird Sagte Heute Gestern Morgen Auch Nicht Wie
          Als Wenn Dass Er Sie Es Wir Ihr
          Les Un Une Et Ou Mais Dans Par Pour Avec Sans Sur Sous Chez Selon Hier Demain Est Sont Il
          Elle Ils Elles Nous Vous Ce Cette Ces Son Sa Ses Leur Leurs
          El Los Las Una Unos Unas Pero En Con Por Para Sin Sobre Según Desde Hasta Ayer Sus Gli Uno
          Tra Fra Nel Nella Dal Ieri Oggi Domani Em Com Os As Um Uma
          Het Een Maar Bij Met Voor Door Naar Uit Gisteren Vandaag Volgens
          January February March April June July August September October November December
          Monday Tuesday Wednesday Thursday Friday Saturday Sunday Januar Februar März Juni Juli
          Oktober Dezember Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag
          Inc Ltd Corp Co Company Corporation Limited Incorporated GmbH Oy Oyj Pty SpA Srl Group
          Holdings Holding Bank Capital Partners Associates Foundation Institute University College
          School Academy Systems Technologies Technology Tech Industries Motors Airlines Airways
          Enterprises Solutions Services Software Labs Laboratories Ventures Trust Fund Insurance
          Energy Media Communications Electric Electronics Pharmaceuticals Pharma International
          Global Consulting Investments Securities Realty Properties Brands Foods Records Studios
          Pictures Entertainment Network Networks Club Society Association Council Committee
          Commission Agency Department Ministry Office Party Union League Democrats Republicans
          Democratic Republican Conservatives Labour Liberal Liberals Socialist Socialists Greens
          Church Hospital Clinic Museum Gallery Library Theatre Theater Opera Center Centre Stadium
          Arena Hotel Restaurant Market Mall Store Shop Football Soccer Rugby Olympics Corps Army
          Navy Force Police Parliament Senate Congress Government Cabinet Times News Journal Review
          Magazine Press Daily Weekly Herald Gazette Tribune
          Street Road Rd Avenue Ave Boulevard Blvd Square Place Plaza Garden Gardens Station
          Airport Bridge River Falls Beach Coast Island Islands Mountain Mountains Mount Valley
          Heights Harbour Harbor Port Tower Castle Palace Cathedral Chapel Abbey Mosque Synagogue
          City County State States Province District Region Republic Kingdom Empire Sea Ocean Desert
          Forest Canyon Peninsula Strait Channel Gulf
          Africa America Americas Asia Europe Australia Antarctica Argentina Austria Belgium Brazil
          Canada Chile China Colombia Cuba Denmark Egypt Finland Germany Greece Hungary India
          Indonesia Iran Iraq Ireland Israel Italy Japan Kenya Korea Mexico Morocco Netherlands
          Nigeria Norway Pakistan Peru Poland Portugal Russia Scotland Spain Sweden Switzerland Syria
          Thailand Turkey Ukraine Vietnam Wales England Britain Deutschland Frankreich Italien
          Spanien Österreich Schweiz Europa España México Italia Francia Alemania Allemagne Espagne
          Italie Suisse Belgique Brasil Texas California Florida Ohio Michigan Arizona Nevada Oregon
          Utah Colorado Alabama Alaska Kansas Kentucky Tennessee Dakota Massachusetts Connecticut
          Pennsylvania Illinois Iowa Louisiana Minnesota Mississippi Missouri Montana Nebraska
          Oklahoma Wisconsin Wyoming Idaho Hawaii Maine Maryland Vermont Paris Madrid Rome Roma Tokyo
          Beijing Moscow Vienna Wien München Munich Frankfurt Hamburg Zürich Zurich Geneva Genève
          Brussels Bruxelles Amsterdam Barcelona Lisbon Lisboa Milan Milano Prague Praha Warsaw
          Stockholm Oslo Copenhagen Helsinki Dublin Edinburgh Manchester Chicago Boston Seattle
          Toronto Montreal Montréal Melbourne Shanghai Seoul Mumbai Delhi Cairo Istanbul Athens
          Dubai Singapore Kyiv Kiev Budapest Bucharest Bogotá Caracas
          American British English German Spanish Italian Chinese Japanese Russian European
          Canadian Australian Indian Dutch Swiss Swedish Norwegian Danish Polish Mexican Brazilian
          African Asian Korean Irish Scottish Greek Turkish Israeli Arab Arabic Muslim Christian
          Catholic Jewish Protestant Western Eastern Northern Southern North South East New Old Great
          Royal National Federal Central General Public Private United
          President Minister Prime Chancellor Senator Governor Mayor Secretary Director Chairman
          Chairwoman Chair Chief Executive Officer Manager Professor Doctor Justice Captain Colonel
          Lieutenant Sergeant Queen Princess Duchess Lady Sir Dame Archbishop Cardinal Father Sister
          Brother Mother Uncle Aunt Mr Mrs Ms Miss Dr Prof Herr Frau Monsieur Madame Mademoiselle
          Señor Señora Signor Signora Jr Sr
          """);

  /** The lists by name, each sorted, for comparing them with {@code person.py --lexicon}. */
  static Map<String, List<String>> lexicon() {
    Map<String, List<String>> lists = new LinkedHashMap<>();
    lists.put("particles", List.copyOf(new TreeSet<>(PARTICLES)));
    lists.put("capital_particles", List.copyOf(new TreeSet<>(CAPITAL_PARTICLES)));
    lists.put("surname_prefixes", SURNAME_PREFIXES);
    lists.put("saints", List.copyOf(new TreeSet<>(SAINTS)));
    lists.put("not_surnames", List.copyOf(new TreeSet<>(NOT_SURNAMES)));
    return lists;
  }

  private static Set<String> words(String text) {
    return Set.of(text.strip().split("\\s+"));
  }
}
