/** The new-line wizard (English); spread into `en`. */
export const enWizard = {
  wizard: {
    product: 'Product',
    number: 'Number',
    sim: 'SIM card',
    summary: 'Summary',
    defaultPayer: 'The customer’s main payer',
    prices: 'Set-up fees {{oneOff}}, subscription {{recurring}} a month',
    numberContains: 'Number containing',
    anyNumber: 'Any free number',
    noNumber: 'No free number matches.',
    localShop: 'Shop of the customer’s locality',
    localShopHint: 'chosen by the study in {{locality}}',
    simsInStock_one: '{{count}} SIM in stock',
    simsInStock_other: '{{count}} SIMs in stock',
  },
};
