/** The new-line wizard (French); spread into `fr`. */
export const frWizard = {
  wizard: {
    product: 'Produit',
    number: 'Numéro',
    sim: 'Carte SIM',
    summary: 'Récapitulatif',
    defaultPayer: 'Payeur principal du client',
    prices: 'Frais de mise en service {{oneOff}}, abonnement {{recurring}} par mois',
    numberContains: 'Numéro contenant',
    anyNumber: 'N’importe quel numéro libre',
    noNumber: 'Aucun numéro libre ne correspond.',
    localShop: 'Agence de la localité du client',
    localShopHint: 'choisie par l’étude à {{locality}}',
    simsInStock_one: '{{count}} SIM en stock',
    simsInStock_other: '{{count}} SIM en stock',
  },
};
